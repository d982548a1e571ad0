using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Hosting;
using Spokes.Actors.Nodes;
using Spokes.Actors.Security;
using Spokes.Cli.Output;
using Spokes.Admin.Hosting;
using Spokes.Edge.Hosting;
using Spokes.Edge.Sessions;

namespace Spokes.Cli.Node;

/// <summary><c>spokes start</c>: validates the configuration, prepares the data folder and runs the node
/// (listeners, actors, console) until it is stopped.</summary>
public static class NodeHost
{
    public static async Task<int> RunAsync(string? configPath)
    {
        SpokesConfig config;
        try
        {
            var path = ConfigLoader.ResolvePath(configPath);
            config = ConfigLoader.Load(path);
            Console.WriteLine(path is null
                ? $"spokes: no config file, running on the embedded default (data in {config.DataPath})"
                : $"spokes: config {Path.GetFullPath(path)}");
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.BadArguments;
        }
        RunMarker marker;
        try
        {
            PrepareDataPath(config.DataPath);
            // Before anything resolves the actor system (which starts remoting and the join): a node restarted right after
            // a crash waits here until its peers have removed the crashed run. Disposed last, once the node has left; a crash
            // leaves it behind for the next start to see.
            marker = await RunMarker.StartAsync(config.DataPath, config.Cluster.Host, config.Cluster.Port,
                hasPeers: config.Cluster.Seeds.Any(s => !IsSelf(s, config.Cluster.Host, config.Cluster.Port)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"spokes: cannot start: {ex.Message}");
            return ExitCodes.Failed;
        }
        await using var running = marker;
        WebApplication app;
        try
        {
            var certificate = ClusterCertificate.LoadOrCreate(config.DataPath, config.Cluster.Certificate);
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            if (config.Log.Json)
                builder.Logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; o.IncludeScopes = true; });
            else
                builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.IncludeScopes = true; });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            // Data-protection keys live in the store, sealed by our repository (not by an XML encryptor it would ask for).
            builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
            builder.WebHost.UseSpokesListeners(config);
            // The console's static assets from the build output too (not only from `dotnet publish`).
            builder.WebHost.UseStaticWebAssets();
            builder.Services.AddSpokesServices(config, certificate);
            builder.Services.AddAkka(SpokesHocon.SystemName, (akka, _) => akka
                .WithSpokesBasics()
                .WithSpokesLogging(config.Log)
                .WithSpokesRemoting(config.Cluster.Host, config.Cluster.Port, certificate)
                .WithSpokesCluster(config)
                .WithSpokesPersistence(config.Database)
                .WithSpokesEntities(TimeProvider.System)
                .WithSpokesReadiness()
                .WithSpokesGateway()
                .WithSpokesEdge(config));
            // After AddAkka: the edge's hosted services start once the actor system runs.
            builder.Services.AddSpokesEdge(config);
            builder.Services.AddSingleton<IHostLifetime, NodeLifetime>();
            builder.Services.AddSingleton<ApiKeyAuthentication>();
            builder.Services.AddSingleton<ApiKeyUsage>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsage>());
            builder.Services.AddAdminApi();
            // Bounded: a drain has already waited for what matters; what is still open after this is cut.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            builder.Services.AddSpokesConsole(o =>
            {
                o.TotpIssuer = config.Domain;
                o.SessionIdle = TimeSpan.FromMinutes(config.Console.SessionIdleMinutes);
                o.SessionLifetime = TimeSpan.FromHours(config.Console.SessionLifetimeHours);
                o.KeysInStore = true;
            });
            app = builder.Build();
            var domains = app.Services.GetRequiredService<Spokes.Actors.Gateway.DomainSource>();
            app.Services.GetRequiredService<Spokes.Admin.Hosting.ConsoleOptions>().TotpIssuerNow = () => domains.Current;
            OwnDomainSite.Map(app, config);
            var readiness = app.Services.GetRequiredService<NodeReadiness>();
            // "node up" once the node may serve and Kestrel has bound its listeners (the cluster may let it serve first).
            app.Lifetime.ApplicationStarted.Register(readiness.SetListening);
            readiness.Up += () =>
                Console.WriteLine($"spokes: node up at {config.Cluster.Host}:{config.Cluster.Port}, domain {config.Domain}, " +
                                  $"https {config.Listen.Https}, http {config.Listen.Http}, store {Describe(config.Database)}");
            var links = app.Services.GetRequiredService<LocalLinks>();
            var peers = app.Services.GetRequiredService<Spokes.Edge.NodeRelay.NodeRelayHandler>();
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                readiness.SetLeaving();
                // Agents still connected reconnect to another node, peers relay elsewhere: Kestrel need not wait for them.
                foreach (var link in links.All) _ = link.CloseAsync(null);
                peers.CloseAll();
            });
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.BadArguments;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"spokes: cannot start: {ex.GetBaseException().Message}");
            return ExitCodes.Failed;
        }
        var exit = app.Services.GetRequiredService<NodeExit>();
        // Taken now: when the start fails, RunAsync has disposed the host before the catch below looks, and reading
        // app.Lifetime then throws inside the filter, which let the cancellation escape as an unhandled crash (exit 134).
        var stopping = app.Lifetime.ApplicationStopping;
        try
        {
            await app.RunAsync();
            return exit.Code;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped while still starting (removed from the cluster, a signal): the reason is already printed.
            return exit.Code != ExitCodes.Ok ? exit.Code : ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"spokes: stopped: {(ex is IOException ? ex.Message : ex.GetBaseException().Message)}");
            return ExitCodes.Failed;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static bool IsSelf(string seed, string host, int port)
    {
        var (seedHost, seedPort) = ConfigLoader.ParseEndpoint("cluster.seeds", seed);
        return seedPort == port && string.Equals(seedHost, host, StringComparison.OrdinalIgnoreCase);
    }

    private static string Describe(DatabaseConfig db) => db.Provider == "postgres" ? "postgres" : db.Path;

    private static void PrepareDataPath(string dataPath)
    {
        if (Directory.Exists(dataPath)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataPath);
        else Directory.CreateDirectory(dataPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
