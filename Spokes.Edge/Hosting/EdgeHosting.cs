using System.Net;
using System.Net.Security;
using Spokes.Actors.Security;
using Spokes.Edge.NodeRelay;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Settings;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Hosting;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Tls;
using Spokes.Edge.Traffic;
using Spokes.Edge.Nodes;
using Spokes.Actors.Nodes;

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
        services.AddSingleton<INodeDirectory>(sp => sp.GetRequiredService<RouteTableSource>());
        services.AddSingleton<IRulePusher, RulePusher>();
        services.AddSingleton<LocalLinks>();
        services.AddSingleton(new ServerCertificate(ServerCertificate.Load(config)));
        services.AddSingleton(sp => new EdgeIdentity(
            PresenceActor.NodeName(Akka.Cluster.Cluster.Get(sp.GetRequiredService<ActorSystem>()).SelfAddress), sp.GetRequiredService<DomainSource>(),
            RelayEndpoint(config), ConfigLoader.AdvertisedEndpoint(config)));
        services.AddSingleton(new AgentTopology(config.Cluster.AgentNodes));
        services.AddSingleton(new DrainOptions(config.Cluster.DrainSeconds));
        services.AddSingleton<NodeDrain>();
        services.AddSingleton<TrafficMeter>();
        services.AddSingleton<TrafficHistory>();
        services.AddHostedService<TrafficSampler>();
        services.AddSingleton<NodeRelayClient>();
        services.AddSingleton<NodeRelayHandler>();
        services.AddSingleton<TrafficRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficRecorder>());
        services.AddSingleton(config.Limits);
        services.AddSingleton<ExemptNetworks>();
        services.AddSingleton<BandwidthCaps>();
        services.AddHostedService(sp => sp.GetRequiredService<BandwidthCaps>());
        services.AddSingleton<VisitorAdmission>();
        services.AddSingleton<PublicRelay>();
        services.AddSingleton(sp => new SessionManagerRef(sp.GetRequiredService<ActorRegistry>().Get<SessionManagerActor>()));
        services.AddSingleton<AgentGate>();
        services.AddSingleton<AgentConnectionHandler>();
        services.AddSingleton<IAgentConnections>(sp => sp.GetRequiredService<AgentConnectionHandler>());
        services.AddSingleton<AgentAlpnMiddleware>();
        services.AddSingleton<HttpsRouter>();
        services.AddSingleton<HttpRouter>();
        services.AddSingleton(new PortBindAddress(Address(ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Host)));
        services.AddSingleton<PortListeners>();
        services.AddHostedService(sp => sp.GetRequiredService<PortListeners>());
        services.AddSingleton<Socks.SocksConnector>();
        services.AddSingleton<Socks.MeshStreams>();
        services.AddSingleton<Socks.SocksListener>();
        services.AddHostedService(sp => sp.GetRequiredService<Socks.SocksListener>());
        // http-01 answers: always (tunnel domains' challenges go through the HTTP router). The renewer always runs
        // but works only while ACME is wanted: tls.useLE, or Let's Encrypt chosen in the console (TlsApplier).
        services.AddSingleton<AcmeChallengeStore>();
        services.TryAddSingleton(new AcmeOptions());
        services.AddSingleton(new AcmeSwitch(config.Tls.UseLE, config.Tls.AcmeEmail));
        services.AddSingleton<AcmeCertificateBoard>();
        services.AddSingleton<IAcmeStorage>(sp => new ClusterAcmeStorage(sp, sp.GetRequiredService<DomainSource>(), sp.GetRequiredService<SecretBox>(),
            sp.GetRequiredService<Spokes.Actors.Store.StoreLeases>(), sp.GetRequiredService<AcmeCertificateBoard>(),
            $"{config.Cluster.Host}:{config.Cluster.Port}"));
        services.AddSingleton(sp => new CertificateRenewer(config, sp.GetRequiredService<DomainSource>(), sp.GetRequiredService<ServerCertificate>(),
            sp.GetRequiredService<AcmeChallengeStore>(), sp.GetRequiredService<AcmeOptions>(),
            sp.GetRequiredService<ILogger<CertificateRenewer>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<AcmeSwitch>(),
            sp.GetRequiredService<IAcmeStorage>()));
        services.AddHostedService(sp => sp.GetRequiredService<CertificateRenewer>());
        services.AddSingleton<ITlsCertificateCheck, PemCertificateCheck>();
        services.AddSingleton<TlsApplier>();
        services.AddSingleton<ServerNameBoard>();
        services.AddSingleton<Metrics.NodeMetrics>();
        return services;
    }

    /// <summary>Starts this node's presence actor and session manager.</summary>
    public static AkkaConfigurationBuilder WithSpokesEdge(this AkkaConfigurationBuilder builder, SpokesConfig config) =>
        builder.WithDistributedPubSub(SpokesAkkaExtensions.NodeRole)
            .WithActors((system, registry, resolver) =>
            {
                var routes = resolver.GetService<RouteTableSource>();
                var presence = system.ActorOf(PresenceActor.Props(routes), "presence");
                registry.Register<PresenceActor>(presence);
                var identity = resolver.GetService<EdgeIdentity>();
                var links = resolver.GetService<LocalLinks>();
                var context = new SessionContext(resolver.GetService<SpokesRegions>(), resolver.GetService<AdminOperations>(), presence,
                    links, routes, identity, TimeProvider.System) { ServerNames = resolver.GetService<ServerNameBoard>() };
                registry.Register<SessionManagerActor>(system.ActorOf(SessionManagerActor.Props(context), "sessions"));
                registry.Register<NodeStatusActor>(system.ActorOf(NodeStatusActor.Props(presence, identity, links,
                    resolver.GetService<TrafficMeter>(), resolver.GetService<NodeReadiness>(), TimeProvider.System,
                    resolver.GetService<INodeDirectory>()), "node-status"));
                system.ActorOf(DrainActor.Props(resolver.GetService<NodeDrain>(), resolver.GetService<NodeExit>(), identity.NodeName),
                    DrainActor.Name);
                registry.Register<TlsWatcher>(system.ActorOf(
                    TlsWatcher.Props(resolver.GetService<TlsApplier>(), registry.Get<SettingsEntity>(), resolver.GetService<AcmeCertificateBoard>(),
                        resolver.GetService<DomainSource>(), config.Domain),
                    "tls-watcher"));
                system.ActorOf(AcmeChallengeReplica.Props(resolver.GetService<AcmeChallengeStore>()), "acme-challenges");
                system.ActorOf(TrafficHistoryActor.Props(resolver.GetService<TrafficHistory>(), TimeProvider.System), AdminOperations.TrafficActorName);
            });

    /// <summary>The public HTTPS (SNI routing, agents, console) and HTTP (Host routing) listeners.</summary>
    public static IWebHostBuilder UseSpokesListeners(this IWebHostBuilder web, SpokesConfig config) =>
        web.ConfigureServices(services => services.AddSingleton<IConnectionListenerFactory, HttpsPortTransport>())
        .ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Per-connection output buffering before a write waits for the socket: an agent connection's write pass
            // writes up to 256 KiB before it flushes (MuxSession.FlushThreshold); the 64 KiB default made it wait mid-pass.
            kestrel.Limits.MaxResponseBufferSize = 1024 * 1024;
            var services = kestrel.ApplicationServices;
            var (httpsHost, httpsPort) = ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https);
            kestrel.Listen(new HttpsPortEndPoint(Address(httpsHost), httpsPort), listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection => services.GetRequiredService<HttpsRouter>().OnConnectionAsync(connection, next));
                var certificate = services.GetRequiredService<ServerCertificate>();
                var cluster = services.GetRequiredService<ClusterCredentials>();
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                    OnConnection = context => ValueTask.FromResult(TlsOptionsFor(context.ClientHelloInfo.ServerName, certificate, cluster)),
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

    /// <summary>Peers reach this node's relay on its cluster host and HTTPS port (SNI spokes-cluster).</summary>
    public static string RelayEndpoint(SpokesConfig config) =>
        $"{config.Cluster.Host}:{ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Port}";

    /// <summary>TLS per connection: the cluster name gets the cluster certificate and must present it back
    /// (node-to-node relay); every other name gets the server certificate, agents' ALPN first.</summary>
    private static SslServerAuthenticationOptions TlsOptionsFor(string? serverName, ServerCertificate server, ClusterCredentials cluster)
    {
        if (serverName == ClusterCredentials.ServerName)
            return new SslServerAuthenticationOptions
            {
                ServerCertificate = cluster.Certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, presented, _, _) => cluster.IsCluster(presented),
                ApplicationProtocols = [AgentAlpnMiddleware.RelayProtocol],
            };
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = server.Context,
            ApplicationProtocols = [AgentAlpnMiddleware.Protocol, SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
    }

    private static IPAddress Address(string host) => host switch
    {
        "" or "*" or "0.0.0.0" => IPAddress.Any,
        "::" => IPAddress.IPv6Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0],
    };
}
