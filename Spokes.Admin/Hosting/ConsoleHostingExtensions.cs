using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Spokes.Actors.Gateway;
using Spokes.Admin.Components;
using Spokes.Admin.Endpoints;
using Spokes.Admin.Security;
using Spokes.Admin.Services;

namespace Spokes.Admin.Hosting;

/// <summary>How a node hosts the console: <c>AddSpokesConsole</c> on its services (after <c>AddSpokesServices</c>),
/// <c>MapSpokesConsole</c> on its WebApplication.</summary>
public static class ConsoleHostingExtensions
{
    public static IServiceCollection AddSpokesConsole(this IServiceCollection services, Action<ConsoleOptions>? configure = null)
    {
        var options = new ConsoleOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddSingleton<IAccountService, AccountService>();
        services.AddSingleton<ITokenService, TokenService>();
        services.AddSingleton<IUserAdministration, UserAdministration>();
        services.AddSingleton<IAuditLog, AuditLog>();
        services.AddSingleton<ITunnelDirectory, TunnelDirectory>();
        services.AddSingleton<ITunnelRules, TunnelRules>();
        services.AddSingleton<IServerSettings, ServerSettings>();
        services.AddMemoryCache();
        services.AddSingleton<SessionValidator>();
        services.AddScoped<FirstRun>();

        var keys = services.AddDataProtection().SetApplicationName("spokes-console");
        if (options.KeysInStore)
        {
            // Shared by every node through the store (no sticky sessions). ConsoleKeyRing makes the keys ahead of
            // need; data protection's own generation is only the fallback for a request that comes first.
            services.AddSingleton<StoreXmlRepository>();
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
                new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<StoreXmlRepository>()));
            services.AddHostedService<ConsoleKeyRing>();
        }
        else if (options.KeysPath is not null)
        {
            keys.PersistKeysToFileSystem(new DirectoryInfo(options.KeysPath));
        }

        services.AddAuthentication(ConsoleClaims.Scheme)
            .AddCookie(ConsoleClaims.Scheme, o =>
            {
                Harden(o, options.CookieName);
                o.ExpireTimeSpan = options.SessionIdle;
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = async ctx =>
                {
                    var validator = ctx.HttpContext.RequestServices.GetRequiredService<SessionValidator>();
                    if (await validator.IsCurrentAsync(ctx.Principal)) return;
                    ctx.RejectPrincipal();
                    await ctx.HttpContext.SignOutAsync(ConsoleClaims.Scheme);
                };
            })
            .AddCookie(ConsoleClaims.PendingScheme, o =>
            {
                Harden(o, options.PendingCookieName);
                o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
                o.SlidingExpiration = false;
            });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingStateProvider>();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = options.CookieName + "-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        return services;
    }

    private static void Harden(CookieAuthenticationOptions o, string name)
    {
        o.Cookie.Name = name;
        o.Cookie.Path = "/";
        o.Cookie.HttpOnly = true;
        o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.LoginPath = "/account/login";
        o.LogoutPath = "/account/signout";
        o.AccessDeniedPath = "/account/login";
        o.ReturnUrlParameter = "returnUrl";
    }

    /// <summary>Adds the console's middleware and endpoints. Call it before other endpoint mappings of the
    /// node that should not see the console's authentication.</summary>
    public static WebApplication MapSpokesConsole(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            // The console is HTTPS only, never framed, never sniffed, and sends no referrer off-site.
            if (context.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            return next(context);
        });
        // An address nothing serves gets the console's own page, still with status 404.
        app.UseStatusCodePagesWithReExecute("/not-found");
        app.UseAuthentication();
        app.UseAuthorization();
        // Pages render over the circuit, so the page itself cannot answer 404: a tunnel page for an id no tunnel has
        // is refused here (signed-in operators only; others go to the sign-in page as for any console address).
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsGet(context.Request.Method) && context.User.Identity?.IsAuthenticated == true
                && context.Request.Path.StartsWithSegments("/tunnels", out var rest) && rest.Value is ['/', .. var id] && !id.Contains('/')
                && (await context.RequestServices.GetRequiredService<ITunnelDirectory>().DetailsAsync(id)).Error == TunnelDirectory.NotFound)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await next(context);
        });
        app.UseAntiforgery();
        app.MapStaticAssets();
        // Blazor writes the frame-ancestors policy of its pages itself.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = "'none'");
        app.MapAccountEndpoints();
        app.MapAuditEndpoints();
        return app;
    }
}
