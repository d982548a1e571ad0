using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Agent.Config;
using Spokes.Agent.Relay;
using Spokes.Agent.Session;
using Spokes.Tunnel.Control;
using Yarp.ReverseProxy.Forwarder;

namespace Spokes.Agent.Http;

/// <summary>
/// The agent's own HTTP stack, for rules with options the agent enforces: Kestrel listening on the tunnel's streams
/// (<see cref="StreamListenerFactory"/>, no socket), the rule's auth decided on every request
/// (<see cref="VisitorAuth"/>), then static files (<see cref="Webroot"/>) or YARP's forwarder towards the service
/// (keep-alive, chunked bodies and upgrades such as WebSocket come from the libraries). <see cref="HttpsEndpoint"/>
/// terminates TLS with the rule's own certificate. Plain rules never come here: their streams are relayed raw.
/// </summary>
internal sealed class AgentHttpServer : IAsyncDisposable
{
    public const string HttpEndpoint = "http";
    public const string HttpsEndpoint = "https";

    private readonly WebApplication _app;

    private AgentHttpServer(WebApplication app, StreamListenerFactory sites)
    {
        _app = app;
        Sites = sites;
    }

    public StreamListenerFactory Sites { get; }

    /// <summary>Whether plain-HTTP visitors of the rule are served by this stack rather than relayed raw.</summary>
    public static bool ServesPlain(HttpRule rule) =>
        rule.Webroot is not null || rule.HostHeader is not null || rule.Password is not null || rule.BasicUser is not null
        || rule.LetsEncrypt || rule.CertFile is not null;

    public static async Task<AgentHttpServer> StartAsync(Func<AgentConfig> rules, string configDirectory, AgentLog log,
        CancellationToken cancellationToken)
    {
        var sites = new StreamListenerFactory();
        var letsEncrypt = new LetsEncrypt(rules, configDirectory, log, TimeProvider.System);
        var certificates = new RuleCertificates(letsEncrypt.FilesFor);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IConnectionListenerFactory>(sites);
        builder.Services.AddHttpForwarder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(new StreamEndPoint(HttpEndpoint));
            kestrel.Listen(new StreamEndPoint(HttpsEndpoint), listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (connection, name) =>
                    name is null || RouteTable.HttpRuleFor(rules(), name) is not { } rule ? null : certificates.For(rule),
            }));
        });
        var app = builder.Build();
        var site = new RuleSite(rules, app.Services.GetRequiredService<IHttpForwarder>(),
            new VisitorAuth(() => rules().Key ?? "", TimeProvider.System), letsEncrypt.Challenges);
        app.Run(site.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var server = new AgentHttpServer(app, sites);
        server._renewals = Task.Run(() => letsEncrypt.RunAsync(server._stop.Token), CancellationToken.None);
        return server;
    }

    private readonly CancellationTokenSource _stop = new();
    private Task _renewals = Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _renewals.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>One request to a rule served by the agent: Host check, auth, then files or the service.</summary>
internal sealed class RuleSite(Func<AgentConfig> rules, IHttpForwarder forwarder, VisitorAuth auth, Spokes.Acme.AcmeChallengeStore challenges)
{
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10), ActivityHeadersPropagator = null,
    });

    public async Task HandleAsync(HttpContext context)
    {
        var header = StreamConnection.HeaderOf(context);
        var rule = header?.Domain is { } domain ? RouteTable.HttpRuleFor(rules(), domain) : null;
        if (header is null || rule is null || RuleSupport.NotEnforced(rule, RuleValidation.Features) is not null)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "no rule for this name");
            return;
        }

        // The node routed the connection by its first request; every later one on it must name the same site.
        // (Or the tunnel's automatic hostname, when the visitor came by that name.)
        var asked = context.Request.Host.Host.TrimEnd('.');
        if (!string.Equals(asked, header.Domain, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(asked, header.Alias, StringComparison.OrdinalIgnoreCase))
        {
            await PlainAsync(context, StatusCodes.Status421MisdirectedRequest, "the Host header does not match this connection's site");
            return;
        }

        if (rule.LetsEncrypt && challenges.AnswerFor(context.Request.Path.Value) is { } answer)
        {
            // The CA checking that this agent controls the domain (http-01), on behalf of LetsEncrypt.
            context.Response.ContentType = "application/octet-stream";
            await context.Response.WriteAsync(answer, context.RequestAborted);
            return;
        }

        if (!await auth.AdmitAsync(context, rule, secure: context.Request.IsHttps || header.EdgeTls == true))
        {
            return;
        }

        if (rule.Webroot is { } root)
        {
            await Webroot.ServeAsync(context, root);
            return;
        }

        string host = rule.Destination.Contains(':') ? $"[{rule.Destination}]" : rule.Destination;
        var error = await forwarder.SendAsync(context, $"http://{host}:{rule.HttpPort ?? RouteTable.DefaultHttpPort}/", _client,
            ForwarderRequestConfig.Empty, new HostTransformer(rule.HostHeader));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            await PlainAsync(context, StatusCodes.Status502BadGateway, "the service behind this tunnel did not answer");
        }
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    /// <summary>Copies the request as YARP does, with the visitor's Host — or the rule's <c>--host-header</c>.</summary>
    private sealed class HostTransformer(string? hostHeader) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            proxyRequest.Headers.Host = hostHeader ?? httpContext.Request.Host.Value;
        }
    }
}
