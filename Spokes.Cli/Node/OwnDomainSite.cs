using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Spokes.Actors.Configuration;
using Spokes.Admin.Hosting;

namespace Spokes.Cli.Node;

/// <summary>What the node serves on its own domain: HTTP is redirected to HTTPS; HTTPS serves the console
/// and a health check.</summary>
internal static class OwnDomainSite
{
    public static void Map(WebApplication app, SpokesConfig config)
    {
        var httpsPort = ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Port;
        var authority = httpsPort == 443 ? config.Domain : $"{config.Domain}:{httpsPort}";
        app.Use(async (context, next) =>
        {
            if (!context.Request.IsHttps)
            {
                context.Response.Redirect($"https://{authority}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}",
                    permanent: true, preserveMethod: true);
                return;
            }
            await next(context);
        });
        app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
        app.MapSpokesConsole();
    }
}
