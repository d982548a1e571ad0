using System.Text.Json;
using Cocona;
using Cocona.Application;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Agent.Session;

namespace Spokes.Agent.Commands;

/// <summary>start and status: the running agent.</summary>
internal sealed class RunCommands(ConfigStore store, ICoconaAppContextAccessor context)
{
    [Command("start", Description = "Connect to the server and serve the tunnel until stopped; reconnects with backoff")]
    public Task<int> Start() =>
        new AgentRuntime(store, AgentLog.Console).RunAsync(context.Current?.CancellationToken ?? CancellationToken.None);

    [Command("status", Description = "Show the server, the connection and the rules of the running agent")]
    public async Task<int> Status([Option("json")] bool json = false)
    {
        LocalResponse? answer = await LocalApiClient.TrySendAsync(store.SocketPath, new LocalRequest { Op = LocalOps.Status });
        AgentStatus status = answer?.Status ?? Offline(store.Load());
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(status, AgentJsonContext.Default.AgentStatus));
            return ExitCodes.Ok;
        }

        Console.WriteLine($"Server:  {status.Server}");
        Console.WriteLine(!status.Running ? "Agent:   not running"
            : status.Connected ? $"Agent:   running, connected (tunnel {status.TunnelId}) since {status.Since:u}"
            : $"Agent:   running, disconnected{(status.LastError is null ? "" : $" ({status.LastError})")}");
        if (status.Running)
        {
            Console.WriteLine($"Pool:    {status.PoolSize} connection(s), {status.OpenStreams} open stream(s)");
            if (status.Nodes.Count > 0 && status.Nodes.Any(n => n.Length > 0))
            {
                Console.WriteLine($"Nodes:   {string.Join(", ", status.Nodes)}");
            }
        }

        Console.WriteLine($"Rules:   {status.HttpRules} http, {status.TcpRules} tcp");
        if (status.Monitoring)
        {
            Console.WriteLine(status.Services.Count == 0 ? "Services: (none checked yet)" : "Services:");
            foreach (var service in status.Services)
            {
                Console.WriteLine($"  {service.Rule,-40} {(service.Online ? "online" : "unavailable")} since {service.Since.ToLocalTime():yyyy-MM-dd HH:mm:ss}");
            }
        }

        if (status.Maps > 0)
        {
            Console.WriteLine(status.Running ? $"Maps:    {status.Maps} ({status.MapsListening} listening)" : $"Maps:    {status.Maps}");
        }

        return ExitCodes.Ok;
    }

    private static AgentStatus Offline(AgentConfig config) => new()
    {
        Server = config.Server,
        Running = false,
        Connected = false,
        HttpRules = config.Http.Count,
        TcpRules = config.Tcp.Count,
        Maps = config.Maps.Count,
    };
}
