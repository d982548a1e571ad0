using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Spokes.Actors.Configuration;
using Spokes.Actors.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Admin.Hosting;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Metrics;

namespace Spokes.Cli.Node;

/// <summary>What the node serves on its own domain: on HTTP and HTTPS the health checks (<c>/healthz</c>: the process
/// is alive; <c>/readyz</c>: joined, the store answers, not draining — 503 otherwise, for balancers); HTTP is
/// otherwise redirected to HTTPS, except ACME http-01 challenges, answered from the <see cref="AcmeChallengeStore"/>;
/// HTTPS serves <c>/metrics</c> (Prometheus, any API key as bearer: <see cref="ApiKeyAuthentication"/>) and the console.</summary>
internal static class OwnDomainSite
{
    public static void Map(WebApplication app, SpokesConfig config)
    {
        var httpsPort = ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Port;
        var domains = app.Services.GetRequiredService<Spokes.Actors.Gateway.DomainSource>();
        string Authority() => httpsPort == 443 ? domains.Current : $"{domains.Current}:{httpsPort}";
        var challenges = app.Services.GetRequiredService<AcmeChallengeStore>();
        var readiness = app.Services.GetRequiredService<NodeReadiness>();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/healthz")
            {
                await Plain(context, StatusCodes.Status200OK, "ok");
                return;
            }
            if (context.Request.Path == "/readyz")
            {
                var ready = readiness.IsReady;
                await Plain(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
                    ready ? (readiness.Degraded is { Length: > 0 } degraded ? "ready; " + degraded : "ready") : "not ready: " + readiness.Reason);
                return;
            }
            // ACME http-01 (RFC 8555 §8.3) comes over plain HTTP and must not be redirected.
            if (context.Request.Path.StartsWithSegments("/.well-known/acme-challenge", StringComparison.Ordinal)
                && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                if (challenges.AnswerFor(context.Request.Path.Value) is { } answer)
                {
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync(answer);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                }
                return;
            }
            if (!context.Request.IsHttps)
            {
                context.Response.Redirect($"https://{Authority()}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}",
                    permanent: true, preserveMethod: true);
                return;
            }
            if (context.Request.Path == "/metrics")
            {
                // Resolved per request: the services behind it exist once the actor system runs.
                if (await context.RequestServices.GetRequiredService<ApiKeyAuthentication>().AuthenticateAsync(context) is null) return;
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                context.Response.Headers.CacheControl = "no-store";
                await context.RequestServices.GetRequiredService<NodeMetrics>().WriteAsync(context.Response.Body, context.RequestAborted);
                return;
            }
            await next(context);
        });
        app.MapSpokesConsole();
        app.MapAdminApi();
    }

    private static Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text);
    }
}
