using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Hosting;
using Spokes.Actors.Security;
using Spokes.Cli.Output;

namespace Spokes.Cli.Node;

/// <summary><c>spokes start</c>: validates the configuration, prepares the data folder and runs the node
/// until it is stopped.</summary>
public static class NodeHost
{
    public static async Task<int> RunAsync(string? configPath, CancellationToken ct)
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
        try
        {
            PrepareDataPath(config.DataPath);
            var certificate = ClusterCertificate.LoadOrCreate(config.DataPath, config.Cluster.Certificate);
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Services.AddSpokesServices(config, certificate);
            builder.Services.AddAkka(SpokesHocon.SystemName, (akka, _) => akka
                .WithSpokesBasics()
                .WithSpokesRemoting(config.Cluster.Host, config.Cluster.Port, certificate)
                .WithSpokesCluster(config)
                .WithSpokesPersistence(config.Database)
                .WithSpokesEntities(TimeProvider.System)
                .WithSpokesGateway()
                .WithActors((system, _) => Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() =>
                    Console.WriteLine($"spokes: node up at {config.Cluster.Host}:{config.Cluster.Port}, " +
                                      $"domain {config.Domain}, store {Describe(config.Database)}"))));
            using var host = builder.Build();
            await host.RunAsync(ct);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopped (SIGTERM, Ctrl+C) while still starting: a clean stop, not a crash with a stack trace
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"spokes: cannot start: {ex.GetBaseException().Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Describe(DatabaseConfig db) => db.Provider == "postgres" ? "postgres" : db.Path;

    private static void PrepareDataPath(string dataPath)
    {
        if (Directory.Exists(dataPath)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataPath);
        else Directory.CreateDirectory(dataPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
