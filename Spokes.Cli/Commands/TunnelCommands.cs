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
            // The Services column appears once an agent's upstream monitor reported (settings tunnel --monitor on).
            // So does Auto hostname while tunOptions.autoHostnames is on.
            var monitored = reply.Tunnels.Any(t => t.Services is { Count: > 0 });
            var named = reply.Tunnels.Any(t => t.AutoHostname is not null);
            List<string> columns = ["ID", "User", "Hostname", "Online", "Address", "Uptime", "Daily / Monthly", "Created"];
            if (named) columns.Add("Auto hostname");
            if (monitored) columns.Add("Services");
            Console.WriteLine(AsciiTable.Render(columns,
                reply.Tunnels.Select(t =>
                {
                    List<string> row = [t.Id, t.User, t.Hostname, Formats.Bool(t.Online), t.Address,
                        Formats.Uptime(t.UptimeSeconds), $"{Formats.Bytes(t.BytesDaily)} / {Formats.Bytes(t.BytesMonthly)}",
                        Formats.Minutes(t.Created)];
                    if (named) row.Add(t.AutoHostname ?? "");
                    if (monitored) row.Add(Services(t.Services));
                    return (IReadOnlyList<string>)row;
                }),
                AsciiTable.Count(reply.Tunnels.Count, "tunnel", "tunnels")));
        });

    [Command("rules", Description = "Show a tunnel's rules; with one action, push it to the online agent first")]
    public Task<int> Rules([Option("id")] string id,
        [Option("http-add", Description = "add/replace an HTTP/S rule for DOMAIN (with --destination and --http/--tls)")] string? httpAdd = null,
        [Option("http-rm", Description = "remove the rule for DOMAIN")] string? httpRemove = null,
        [Option("destination")] string? destination = null, [Option("http")] int? http = null, [Option("tls")] int? tls = null,
        [Option("redirect", Description = "with --http-add: answer plain HTTP with a redirect to HTTPS (needs --tls)")] bool redirect = false,
        [Option("tcp-allocate", Description = "lease a port to the tunnel")] bool tcpAllocate = false,
        [Option("tcp-forward", Description = "point PORT at --destination:--dstport")] int? tcpForward = null,
        [Option("dstport")] int? dstPort = null,
        [Option("tcp-reset", Description = "clear PORT's destination")] int? tcpReset = null,
        [Option("tcp-release", Description = "give PORT back")] int? tcpRelease = null,
        [Option("http-firewall", Description = "set DOMAIN's firewall lists to --allow and --drop")] string? httpFirewall = null,
        [Option("tcp-firewall", Description = "set PORT's firewall lists to --allow and --drop")] int? tcpFirewall = null,
        [Option("allow", Description = "networks admitted, comma-separated CIDR ('' for none: open to all but --drop)")] string? allow = null,
        [Option("drop", Description = "networks refused, comma-separated CIDR ('' for none)")] string? drop = null,
        [Option("json")] bool json = false)
    {
        var actions = new List<RuleChange>();
        if (httpAdd is not null) actions.Add(new RuleChange(RuleAction.HttpAdd, httpAdd, destination, http, tls, Redirect: redirect));
        else if (redirect) throw CliException.BadArguments("--redirect goes with --http-add");
        if (httpRemove is not null) actions.Add(new RuleChange(RuleAction.HttpRemove, httpRemove));
        if (tcpAllocate) actions.Add(new RuleChange(RuleAction.TcpAllocate));
        if (tcpForward is not null) actions.Add(new RuleChange(RuleAction.TcpForward, Destination: destination, Port: tcpForward, DstPort: dstPort));
        if (tcpReset is not null) actions.Add(new RuleChange(RuleAction.TcpReset, Port: tcpReset));
        if (tcpRelease is not null) actions.Add(new RuleChange(RuleAction.TcpRelease, Port: tcpRelease));
        if (httpFirewall is not null || tcpFirewall is not null)
        {
            var (allowed, dropped) = (Networks("--allow", allow), Networks("--drop", drop));
            if (httpFirewall is not null) actions.Add(new RuleChange(RuleAction.HttpFirewall, httpFirewall, Allow: allowed, Drop: dropped));
            if (tcpFirewall is not null) actions.Add(new RuleChange(RuleAction.TcpFirewall, Port: tcpFirewall, Allow: allowed, Drop: dropped));
            if (Spokes.Tunnel.Control.Firewall.Validate(allowed, dropped) is { } badLists) throw CliException.BadArguments(badLists);
        }
        else if (allow is not null || drop is not null)
        {
            throw CliException.BadArguments("--allow and --drop go with --http-firewall DOMAIN or --tcp-firewall PORT");
        }
        if (actions.Count > 1) throw CliException.BadArguments("give at most one rule action");
        if (actions.FirstOrDefault()?.Problem() is { } problem) throw CliException.BadArguments(problem);
        return session.RunAsync<TunnelRulesReply>(new TunnelRulesRequest(id, actions.FirstOrDefault()), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply);
                return;
            }
            if (reply.Message.Length > 0) Console.WriteLine(reply.Message);
            Console.WriteLine($"Tunnel {reply.TunnelId} is {(reply.Online ? "online (live rules)" : "offline (cached rules, read-only)")}");
            var services = reply.Services ?? System.Collections.Immutable.ImmutableDictionary<string, Spokes.Actors.Tunnels.ServiceState>.Empty;
            Console.WriteLine(AsciiTable.Render(["Domain", "Destination", "HTTP", "TLS", "Firewall", "Service"],
                reply.Http.Select(r => (IReadOnlyList<string>)[r.Domain, r.Destination, r.HttpPort?.ToString() ?? "", r.TlsPort?.ToString() ?? "",
                    r.Firewall?.ToString() ?? "", Service(services.GetValueOrDefault("http:" + r.Domain))]),
                AsciiTable.Count(reply.Http.Count, "http rule", "http rules")));
            Console.WriteLine(AsciiTable.Render(["Port No.", "Destination", "Firewall", "Service"],
                reply.Ports.Select(p => (IReadOnlyList<string>)[p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Destination,
                    reply.PortFirewalls?.GetValueOrDefault(p.Port)?.ToString() ?? "",
                    Service(services.GetValueOrDefault("tcp:" + p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)))]),
                AsciiTable.Count(reply.Ports.Count, "port", "ports")));
        });
    }

    /// <summary>A service's state as the agent's monitor last reported it ("" when not monitored).</summary>
    private static string Service(Spokes.Actors.Tunnels.ServiceState? state) =>
        state is null ? "" : $"{(state.Online ? "online" : "unavailable")} since {Formats.Minutes(state.Since)}";

    private static string Services(System.Collections.Immutable.ImmutableList<Spokes.Actors.Tunnels.ServiceState>? services) =>
        services is not { Count: > 0 } ? ""
        : services.All(s => s.Online) ? $"{services.Count}/{services.Count} online"
        : $"{services.Count(s => s.Online)}/{services.Count} online; unavailable: " + string.Join(", ", services.Where(s => !s.Online).Select(s => s.Rule));

    /// <summary>A comma-separated list of networks in canonical form; '' (or an absent option) is no network.</summary>
    private static System.Collections.Immutable.ImmutableList<string> Networks(string option, string? list) =>
        Spokes.Tunnel.Control.Firewall.Canonical((list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            out var networks) is { } bad
            ? throw CliException.BadArguments($"{option}: {bad}")
            : [.. networks];

    [Command("shutdown", Description = "Shut a tunnel down: its agent is disconnected and its ports freed")]
    public Task<int> Shutdown([Option("id")] string id, [Option("json")] bool json = false) =>
        session.RunAsync<AdminDone>(new ShutdownTunnelRequest(id), done => AdminSession.PrintDone(json, done.Message));
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
