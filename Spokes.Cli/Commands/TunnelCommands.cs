using Cocona;
using Spokes.Actors.Gateway;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

public sealed class TunnelCommands(AdminSession session)
{
    [Command("ls", Description = "List tunnels (--online: connected only; --all: shut down too)")]
    public Task<int> List([Option("online")] bool online = false, [Option("all")] bool all = false,
        [Option("json")] bool json = false) =>
        session.RunAsync<TunnelsReply>(new ListTunnelsRequest(online, all), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Tunnels);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["ID", "User", "Hostname", "Online", "Address", "Uptime", "Daily / Monthly", "Created"],
                reply.Tunnels.Select(t => (IReadOnlyList<string>)[t.Id, t.User, t.Hostname, Formats.Bool(t.Online), t.Address,
                    Formats.Uptime(t.UptimeSeconds), $"{Formats.Bytes(t.BytesDaily)} / {Formats.Bytes(t.BytesMonthly)}",
                    Formats.Minutes(t.Created)]),
                AsciiTable.Count(reply.Tunnels.Count, "tunnel", "tunnels")));
        });

    [Command("shutdown", Description = "Shut a tunnel down: its agent is disconnected and its ports freed")]
    public Task<int> Shutdown([Option("id")] string id) =>
        session.RunAsync<AdminDone>(new ShutdownTunnelRequest(id), done => Console.WriteLine(done.Message));
}

public sealed class PortCommands(AdminSession session)
{
    [Command("ls", Description = "List leased TCP ports")]
    public Task<int> List([Option("json")] bool json = false) =>
        session.RunAsync<PortsReply>(new ListPortsRequest(), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Ports);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["Port No.", "User", "Tunnel ID", "Tunnel Online", "Tunnel Uptime", "Daily / Monthly"],
                reply.Ports.Select(p => (IReadOnlyList<string>)[p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    p.User, p.TunnelId, Formats.Bool(p.Online), Formats.Uptime(p.UptimeSeconds),
                    $"{Formats.Bytes(p.BytesDaily)} / {Formats.Bytes(p.BytesMonthly)}"]),
                AsciiTable.Count(reply.Ports.Count, "port allocation", "port allocations")));
        });
}
