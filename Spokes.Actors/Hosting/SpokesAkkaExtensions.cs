using System.Security.Cryptography.X509Certificates;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.Singleton;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Spokes.Actors.Catalog;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Ports;
using Spokes.Actors.Remoting;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;
using Spokes.Actors.Store;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Hosting;

/// <summary>Akka.Hosting wiring, one method per concern.</summary>
public static class SpokesAkkaExtensions
{
    public const string NodeRole = "node";

    public static AkkaConfigurationBuilder WithSpokesBasics(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(SpokesHocon.Serialization, HoconAddMode.Prepend)
            .AddHocon(SpokesHocon.Logging, HoconAddMode.Prepend);

    /// <summary>The node's <c>log</c> settings, read by <see cref="NodeLogger"/>.</summary>
    public static AkkaConfigurationBuilder WithSpokesLogging(this AkkaConfigurationBuilder builder, Configuration.LogConfig log) =>
        builder.AddHocon($"spokes.log {{ format = {log.Format}, akka = {log.Akka} }}" + (log.Akka == "debug" ? "\nakka.loglevel = DEBUG" : ""),
            HoconAddMode.Prepend);

    /// <summary>Remoting over mutual TLS with the cluster certificate pinned (<see cref="ClusterTlsTransport"/>): a
    /// peer without it cannot finish the handshake, so it can neither join nor send a message.</summary>
    public static AkkaConfigurationBuilder WithSpokesRemoting(this AkkaConfigurationBuilder builder, string host, int port,
        X509Certificate2 certificate) =>
        builder.AddHocon(ClusterTls.Hocon(host, port), HoconAddMode.Prepend)
            .AddSetup(new ClusterTlsSetup(certificate));

    public static string SeedAddress(string host, int port) => $"akka.ssl.tcp://{SpokesHocon.SystemName}@{host}:{port}";

    public static AkkaConfigurationBuilder WithSpokesCluster(this AkkaConfigurationBuilder builder, SpokesConfig config)
    {
        var seeds = config.Cluster.Seeds.Length == 0
            ? [SeedAddress(config.Cluster.Host, config.Cluster.Port)]
            : config.Cluster.Seeds.Select(s =>
            {
                var (host, port) = ConfigLoader.ParseEndpoint("cluster.seeds", s);
                return SeedAddress(host, port);
            }).ToArray();
        var lease = new StoreLeaseOption();
        lease.Apply(builder);
        return builder.AddHocon(SpokesHocon.Cluster, HoconAddMode.Prepend)
            .WithClustering(new ClusterOptions
            {
                Roles = [NodeRole],
                SeedNodes = seeds,
                // The side of a partition that takes the store's lease survives: a 2-node cluster survives the
                // loss of either node (keep-majority and keep-oldest both lose one of the two cases), a 3-node
                // cluster keeps its majority (the minority waits before trying). docs/architecture.md.
                SplitBrainResolver = new LeaseMajorityOption { LeaseImplementation = lease, LeaseName = "spokes-sbr", Role = NodeRole },
            });
    }

    /// <summary>The journal and snapshot store: the SQLite file (WAL) or PostgreSQL.</summary>
    public static AkkaConfigurationBuilder WithSpokesPersistence(this AkkaConfigurationBuilder builder, DatabaseConfig db)
    {
        var (connectionString, provider) = db.Provider == "postgres"
            ? (db.ConnectionString, LinqToDB.ProviderName.PostgreSQL)
            : (SqliteStore.Prepare(db.Path), LinqToDB.ProviderName.SQLiteMS);
        builder.WithSqlPersistence(connectionString, provider, autoInitialize: true,
            tagStorageMode: Akka.Persistence.Sql.Config.TagMode.TagTable);
        return db.Provider == "postgres" ? builder : builder.AddHocon(SqliteReads, HoconAddMode.Prepend);
    }

    /// <summary>On SQLite, reads run in deferred transactions: Microsoft.Data.Sqlite begins every other isolation level
    /// with <c>BEGIN IMMEDIATE</c>, which takes the file's write lock, so a long replay (the catalog catching up with
    /// 200,000 events) would lock every write out. In WAL mode a deferred read sees one consistent snapshot.</summary>
    private const string SqliteReads = """
        akka.persistence.journal.sql.read-isolation-level = read-uncommitted
        akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
        akka.persistence.query.journal.sql.read-isolation-level = read-uncommitted
        """;

    /// <summary>The catalog singleton and one shard region per entity type.</summary>
    public static AkkaConfigurationBuilder WithSpokesEntities(this AkkaConfigurationBuilder builder, TimeProvider time)
    {
        var shard = new ShardOptions { Role = NodeRole, RememberEntities = false, StateStoreMode = Akka.Cluster.Sharding.StateStoreMode.DData };
        return builder
            .WithSingleton<CatalogActor>("catalog", (_, _, resolver) => CatalogActor.Supervised(SqlReadJournalId, resolver.GetService<JournalReader>()),
                new ClusterSingletonOptions { Role = NodeRole }, createProxyToo: true)
            .WithShardRegion<UserEntity>(UserEntity.Kind, (_, registry, _) =>
                id => UserEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<IUserMessage>(), shard)
            .WithShardRegion<RegistrationEntity>(RegistrationEntity.Kind, (_, registry, _) =>
                id => RegistrationEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<IRegistrationMessage>(), shard)
            .WithShardRegion<AuthTokenEntity>(AuthTokenEntity.Kind, (_, registry, _) =>
                id => AuthTokenEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<IAuthTokenMessage>(), shard)
            .WithShardRegion<ApiKeyEntity>(ApiKeyEntity.Kind, (_, registry, _) =>
                id => ApiKeyEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<IApiKeyMessage>(), shard)
            .WithShardRegion<PortLeaseEntity>(PortLeaseEntity.Kind, (_, registry, _) =>
                id => PortLeaseEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<IPortLeaseMessage>(), shard)
            .WithShardRegion<Domains.DomainEntity>(Domains.DomainEntity.Kind, (_, registry, _) =>
                id => Domains.DomainEntity.Props(id, registry.Get<CatalogActor>(), time), new EntityExtractor<Domains.IDomainMessage>(), shard)
            .WithShardRegion<Access.ConsoleKeysEntity>(Access.ConsoleKeysEntity.Kind, (_, _, _) => id => Access.ConsoleKeysEntity.Props(id, time),
                new EntityExtractor<Access.IConsoleKeysMessage>(), shard)
            .WithShardRegion<Access.SignInGuardEntity>(Access.SignInGuardEntity.Kind, (_, _, _) => id => Access.SignInGuardEntity.Props(id, time),
                new EntityExtractor<Access.ISignInGuardMessage>(), shard)
            .WithShardRegion<Access.ConsoleSecurityEntity>(Access.ConsoleSecurityEntity.Kind, (_, _, _) =>
                id => Access.ConsoleSecurityEntity.Props(id, time), new EntityExtractor<Access.IConsoleSecurityMessage>(), shard)
            .WithShardRegion<Access.ConsoleSessionsEntity>(Access.ConsoleSessionsEntity.Kind, (_, _, _) =>
                id => Access.ConsoleSessionsEntity.Props(id, time), new EntityExtractor<Access.IConsoleSessionMessage>(), shard)
            .WithShardRegion<SettingsEntity>(SettingsEntity.Kind, (_, _, _) => id => SettingsEntity.Props(id, time),
                new EntityExtractor<ISettingsMessage>(), shard)
            .WithActors((system, registry, resolver) => registry.Register<SettingsWatcher>(system.ActorOf(
                SettingsWatcher.Props(resolver.GetService<TunnelOptionsSource>(), resolver.GetService<SocksSettingsSource>(), registry.Get<SettingsEntity>()), "settings-watcher")))
            .WithShardRegion<TunnelEntity>(TunnelEntity.Kind, (_, registry, _) =>
                id => TunnelEntity.Props(id, registry.Get<CatalogActor>(), registry.Get<PortLeaseEntity>(), time),
                new EntityExtractor<ITunnelMessage>(), shard);
    }

    public const string SqlReadJournalId = "akka.persistence.query.journal.sql";

    /// <summary>How long a starting node may take to become a member before it gives up (exit 1).</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Keeps <see cref="Nodes.NodeReadiness"/> in step with this node's membership and its cluster's claim
    /// on the store (<see cref="ClusterLeaseKeeper"/>, a singleton); a node removed from the cluster by the split brain
    /// resolver stops (exit 1, a supervisor restarts it and it rejoins). A node that is not a member
    /// <see cref="JoinTimeout"/> after it started stops too: restarted within seconds of a crash, the seeds may still
    /// hold its previous incarnation's remoting state and never answer its join (docs/architecture.md, "Restarts");
    /// a fresh start a few seconds later joins.</summary>
    public static AkkaConfigurationBuilder WithSpokesReadiness(this AkkaConfigurationBuilder builder) =>
        builder
            .WithSingleton<ClusterLeaseKeeper>("cluster-lease", (_, _, resolver) => ClusterLeaseKeeper.Props(resolver.GetService<StoreLeases>()),
                new ClusterSingletonOptions { Role = NodeRole }, createProxyToo: false)
            .WithActors((system, _, resolver) =>
            {
                system.ActorOf(AgentCredentialsReplica.Props(resolver.GetService<AgentCredentials>()), "credentials");
                var readiness = resolver.GetService<Nodes.NodeReadiness>();
                var exit = resolver.GetService<Nodes.NodeExit>();
                system.ActorOf(ClusterLeaseWatcher.Props(readiness, exit), "cluster-lease-watcher");
                var cluster = Akka.Cluster.Cluster.Get(system);
                var joined = 0;
                cluster.RegisterOnMemberUp(() =>
                {
                    Volatile.Write(ref joined, 1);
                    readiness.SetJoined(true);
                });
                system.Scheduler.Advanced.ScheduleOnce(JoinTimeout, () =>
                {
                    // Only a node that never became a member: one that joined and has since left (a drain that ended
                    // just before the timeout) is not stuck, and exits with its own code.
                    if (Volatile.Read(ref joined) == 0 && !readiness.Leaving
                        && cluster.SelfMember.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Removed)
                        exit.Request(1, $"could not join the cluster through its seeds within {JoinTimeout.TotalSeconds:0} s; " +
                                        "stopping so that a supervisor starts it again");
                });
                cluster.RegisterOnMemberRemoved(() =>
                {
                    readiness.SetJoined(false);
                    if (!readiness.Leaving)
                        exit.Request(1, "this node was removed from the cluster (it was unreachable and the others downed it); " +
                                        "restart it to rejoin");
                });
            });

    /// <summary>Starts the admin gateway and offers it to cluster clients (the CLI).</summary>
    public static AkkaConfigurationBuilder WithSpokesGateway(this AkkaConfigurationBuilder builder) =>
        builder.WithClusterClientReceptionist(role: NodeRole)
            .WithActors((system, registry, resolver) =>
            {
                var operations = resolver.GetService<AdminOperations>();
                var gateway = system.ActorOf(AdminGateway.Props(operations, resolver.GetService<Nodes.NodeReadiness>()), AdminGateway.Name);
                ClusterClientReceptionist.Get(system).RegisterService(gateway);
                registry.Register<AdminGateway>(gateway);
            });

    /// <summary>Registers the services that wrap the actors (for the gateway, the edge and the console).</summary>
    public static IServiceCollection AddSpokesServices(this IServiceCollection services, SpokesConfig config,
        X509Certificate2 clusterCertificate)
    {
        services.AddSingleton(config);
        services.AddSingleton(new ClusterCredentials(clusterCertificate));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SecretBox(ClusterCertificate.KeyMaterial(clusterCertificate)));
        services.AddSingleton(new TunnelOptionsSource(config.TunOptions, config.PortRange));
        services.AddSingleton(SocksSettingsSource.For(config));
        services.AddSingleton<Access.ConsoleSecurityLog>();
        services.AddHostedService(sp => sp.GetRequiredService<Access.ConsoleSecurityLog>());
        services.AddSingleton(new DomainSource(config.Domain));
        services.AddSingleton<IDomainCheck>(new DomainCheck(config));
        services.AddSingleton(sp => new AutoHostnames(sp.GetRequiredService<SecretBox>(), sp.GetRequiredService<TunnelOptionsSource>(),
            sp.GetRequiredService<DomainSource>()));
        services.AddSingleton<Nodes.NodeReadiness>();
        services.AddSingleton(new StoreLeases(config.Database));
        services.AddSingleton(new TrafficStore(config.Database, config.Traffic));
        services.AddSingleton(new JournalReader(config.Database));
        services.AddSingleton<Nodes.NodeExit>();
        services.AddHostedService<StoreProbe>();
        services.TryAddSingleton<ITunnelPresence, NoPresence>();
        services.TryAddSingleton<Nodes.INodeDirectory, Nodes.NoNodeDirectory>();
        services.TryAddSingleton<IRulePusher, NoRulePusher>();
        services.TryAddSingleton<ITlsCertificateCheck, NoTlsCertificateCheck>();
        services.AddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<ActorRegistry>();
            return new SpokesRegions(registry.Get<UserEntity>(), registry.Get<RegistrationEntity>(),
                registry.Get<AuthTokenEntity>(), registry.Get<TunnelEntity>(), registry.Get<PortLeaseEntity>(),
                registry.Get<CatalogActor>(), registry.Get<Domains.DomainEntity>(), registry.Get<ApiKeyEntity>());
        });
        services.AddSingleton(sp => new AdminOperations(sp.GetRequiredService<Akka.Actor.ActorSystem>(),
            sp.GetRequiredService<SpokesRegions>(), sp.GetRequiredService<SecretBox>(),
            sp.GetRequiredService<TunnelOptionsSource>(), sp.GetRequiredService<ITunnelPresence>(),
            sp.GetRequiredService<IRulePusher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<AgentCredentials>())
        {
            Nodes = sp.GetRequiredService<Nodes.INodeDirectory>(),
            Readiness = sp.GetRequiredService<Nodes.NodeReadiness>(),
            Traffic = sp.GetRequiredService<TrafficStore>(),
            Journal = sp.GetRequiredService<JournalReader>(),
            Socks = sp.GetRequiredService<SocksSettingsSource>(),
            AutoNames = sp.GetRequiredService<AutoHostnames>(),
            ServerDomain = sp.GetRequiredService<DomainSource>(),
            ConfiguredDomain = config.Domain,
            ClaimDomains = config.Limits.ClaimDomains,
            DomainChecks = sp.GetRequiredService<IDomainCheck>(),
            Certificates = sp.GetRequiredService<ITlsCertificateCheck>(),
        });
        services.AddSingleton<AgentCredentials>();
        services.AddSingleton<HashingGate>();
        services.AddSingleton<Access.IConsoleSessions>(sp => new Access.ConsoleSessions(
            sp.GetRequiredService<ActorRegistry>().Get<Access.ConsoleSessionsEntity>(),
            Akka.Event.Logging.GetLogger(sp.GetRequiredService<Akka.Actor.ActorSystem>(), typeof(Access.ConsoleSessions))));
        services.AddSingleton<Access.ISignInGuard>(sp => new Access.SignInGuard(sp.GetRequiredService<ActorRegistry>().Get<Access.SignInGuardEntity>(),
            Akka.Event.Logging.GetLogger(sp.GetRequiredService<Akka.Actor.ActorSystem>(), typeof(Access.SignInGuard))));
        services.AddSingleton<Access.IConsoleKeyStore>(sp => new Access.ConsoleKeyStore(
            sp.GetRequiredService<ActorRegistry>().Get<Access.ConsoleKeysEntity>(), sp.GetRequiredService<SecretBox>()));
        return services;
    }
}
