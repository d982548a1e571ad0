using System.Text.Json;
using Cocona;
using Spokes.Agent.Config;
using Spokes.Agent.Local;

namespace Spokes.Agent.Commands;

/// <summary>map / map rm / map ls: local ports whose connections go through the tunnel to a service behind another
/// tunnel or a destination the server's SOCKS policy allows.</summary>
internal sealed class MapCommands(ConfigStore store, RuleGateway rules)
{
    [PrimaryCommand]
    [Command("map", Description = "Listen on a local port and take its connections through the tunnel to HOST:PORT (saved; applied to a running agent at once)")]
    public async Task<int> Add([Option("listen", Description = "local ADDR:PORT, e.g. 127.0.0.1:5432")] string? listen = null,
        [Option("to", Description = "HOST:PORT: a tunnel's D:80 or D:443, <server domain>:P for a leased port, or what the server's socks.allow opens")] string? to = null)
    {
        if ((MapBook.Listen(listen) ?? MapBook.To(to)) is { } bad) throw CliException.BadArguments(bad);
        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.MapAdd, Listen = listen, To = to!.Trim() }, CancellationToken.None);
        return Outcomes.Report(response, $"{MapBook.Canonical(listen!)} maps to {to!.Trim()}");
    }

    [Command("rm", Description = "Remove the port map listening on ADDR:PORT")]
    public async Task<int> Remove([Option("listen")] string? listen = null)
    {
        if (MapBook.Listen(listen) is { } bad) throw CliException.BadArguments(bad);
        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.MapRemove, Listen = listen }, CancellationToken.None);
        return Outcomes.Report(response, $"port map {MapBook.Canonical(listen!)} removed");
    }

    [Command("ls", Description = "List port maps")]
    public int List([Option("json")] bool json = false)
    {
        IReadOnlyList<PortMap> maps = store.Load().Maps;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(maps, AgentJsonContext.Default.IReadOnlyListPortMap));
            return ExitCodes.Ok;
        }

        Console.WriteLine(TextTable.Render(["LISTEN", "TO"], maps.Select(m => (IReadOnlyList<string>)[m.Listen, m.To])));
        Console.WriteLine($"{maps.Count} port map(s)");
        return ExitCodes.Ok;
    }
}
