using System.Text.Json;
using Cocona;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Commands;

/// <summary>tcp allocate / forward / reset / release / ls: leased ports of the server.</summary>
internal sealed class TcpCommands(ConfigStore store, RuleGateway rules)
{
    [Command("allocate", Description = "Lease a TCP port of the server (needs a running agent); prints the port")]
    public async Task<int> Allocate([Option("json", Description = "print {\"port\": N}, the key of tcp ls --json")] bool json = false)
    {
        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.TcpAllocate }, CancellationToken.None);
        if (!response.Ok)
        {
            throw Outcomes.Fail(response);
        }

        Console.WriteLine(json ? $"{{\"port\": {response.Port}}}" : response.Port.ToString());
        return ExitCodes.Ok;
    }

    [Command("forward", Description = "Forward a leased port to a local service")]
    public Task<int> Forward([Option("port")] int port, [Option("destination")] string destination, [Option("dstport")] int dstPort)
    {
        if (RuleValidation.TcpForward(port, destination, dstPort) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        return SendAsync(new LocalRequest { Op = LocalOps.TcpForward, Port = port, Destination = destination, DstPort = dstPort },
            $"port {port} forwards to {destination}:{dstPort}");
    }

    [Command("reset", Description = "Stop forwarding a leased port (keep the lease)")]
    public Task<int> Reset([Option("port")] int port) =>
        SendAsync(new LocalRequest { Op = LocalOps.TcpReset, Port = Checked(port) }, $"port {port} no longer forwards");

    [Command("release", Description = "Give a leased port back to the server")]
    public Task<int> Release([Option("port")] int port) =>
        SendAsync(new LocalRequest { Op = LocalOps.TcpRelease, Port = Checked(port) }, $"port {port} released");

    [Command("ls", Description = "List leased ports")]
    public int List([Option("json")] bool json = false)
    {
        IReadOnlyList<TcpRule> tcp = store.Load().Tcp;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(tcp, AgentJsonContext.Default.IReadOnlyListTcpRule));
            return ExitCodes.Ok;
        }

        Console.WriteLine(TextTable.Render(["PORT", "DESTINATION", "DSTPORT", "FIREWALL"],
            tcp.Select(r => (IReadOnlyList<string>)[r.Port.ToString(), r.Destination ?? "-", r.DstPort?.ToString() ?? "-", Lists(r)])));
        Console.WriteLine($"{tcp.Count} tcp port(s)");
        return ExitCodes.Ok;
    }

    private static int Checked(int port) =>
        RuleValidation.Port(port, "--port") is { } bad ? throw CliException.BadArguments(bad) : port;

    private async Task<int> SendAsync(LocalRequest request, string success) =>
        Outcomes.Report(await rules.SendAsync(request, CancellationToken.None), success);

    private static string Lists(TcpRule rule)
    {
        List<string> lists = [];
        if (rule.Allow is { Count: > 0 } allow) lists.Add("allow " + string.Join(" ", allow));
        if (rule.Drop is { Count: > 0 } drop) lists.Add("drop " + string.Join(" ", drop));
        return lists.Count == 0 ? "-" : string.Join(", ", lists);
    }
}
