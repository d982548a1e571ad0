using System.Net;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Hosting;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Tls;
using Spokes.Edge.Traffic;

namespace Spokes.Edge.Hosting;

/// <summary>Wiring of the data plane: services, node actors, and the Kestrel listeners.</summary>
public static class EdgeHosting
{
    /// <summary>Registers the edge services. Call after <c>AddSpokesServices</c> and <c>AddAkka</c>: tunnel
    /// presence then comes from the route table, and the hosted services start after the actor system.</summary>
    public static IServiceCollection AddSpokesEdge(this IServiceCollection services, SpokesConfig config)
    {
        services.AddSingleton<RouteTableSource>();
        services.AddSingleton<ITunnelPresence>(sp => sp.GetRequiredService<RouteTableSource>());
        services.AddSingleton<LocalLinks>();
        services.AddSingleton(new ServerCertificate(ServerCertificate.Load(config)));
        services.AddSingleton(sp => new EdgeIdentity(
            PresenceActor.NodeName(Akka.Cluster.Cluster.Get(sp.GetRequiredService<ActorSystem>()).SelfAddress), config.Domain));
        services.AddSingleton<TrafficRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficRecorder>());
        services.AddSingleton<PublicRelay>();
        services.AddSingleton(sp => new SessionManagerRef(sp.GetRequiredService<ActorRegistry>().Get<SessionManagerActor>()));
        services.AddSingleton<AgentConnectionHandler>();
        services.AddSingleton<AgentAlpnMiddleware>();
        services.AddSingleton<HttpsRouter>();
        services.AddSingleton<HttpRouter>();
        services.AddSingleton(new PortBindAddress(Address(ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Host)));
        services.AddSingleton<PortListeners>();
        // 64 KiB blocks: Kestrel sizes its TLS pipe reads and writes by the block size (see LargeBlockMemoryPool).
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        services.AddHostedService(sp => sp.GetRequiredService<PortListeners>());
        return services;
    }

    /// <summary>Starts this node's presence actor and session manager.</summary>
    public static AkkaConfigurationBuilder WithSpokesEdge(this AkkaConfigurationBuilder builder, SpokesConfig config) =>
        builder.WithDistributedPubSub(SpokesAkkaExtensions.NodeRole)
            .WithActors((system, registry, resolver) =>
            {
                var presence = system.ActorOf(PresenceActor.Props(resolver.GetService<RouteTableSource>()), "presence");
                registry.Register<PresenceActor>(presence);
                var context = new SessionContext(resolver.GetService<SpokesRegions>(), resolver.GetService<AdminOperations>(), presence,
                    resolver.GetService<LocalLinks>(), PresenceActor.NodeName(Akka.Cluster.Cluster.Get(system).SelfAddress),
                    config.Domain, TimeProvider.System);
                registry.Register<SessionManagerActor>(system.ActorOf(SessionManagerActor.Props(context), "sessions"));
            });

    /// <summary>The public HTTPS (SNI routing, agents, console) and HTTP (Host routing) listeners.</summary>
    public static IWebHostBuilder UseSpokesListeners(this IWebHostBuilder web, SpokesConfig config) =>
        web.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var services = kestrel.ApplicationServices;
            var (httpsHost, httpsPort) = ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https);
            kestrel.Listen(Address(httpsHost), httpsPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection => services.GetRequiredService<HttpsRouter>().OnConnectionAsync(connection, next));
                var certificate = services.GetRequiredService<ServerCertificate>();
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, _) => certificate.Current,
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                    OnAuthenticate = (_, ssl) => ssl.ApplicationProtocols =
                        [AgentAlpnMiddleware.Protocol, System.Net.Security.SslApplicationProtocol.Http2,
                         System.Net.Security.SslApplicationProtocol.Http11],
                });
                listen.Use(next => connection => services.GetRequiredService<AgentAlpnMiddleware>().OnConnectionAsync(connection, next));
            });
            var (httpHost, httpPort) = ConfigLoader.ParseEndpoint("listen.http", config.Listen.Http);
            kestrel.Listen(Address(httpHost), httpPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => services.GetRequiredService<HttpRouter>().OnConnectionAsync(connection, next));
            });
        });

    private static IPAddress Address(string host) => host switch
    {
        "" or "*" or "0.0.0.0" => IPAddress.Any,
        "::" => IPAddress.IPv6Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0],
    };
}
