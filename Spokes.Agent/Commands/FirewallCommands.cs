using Cocona;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Commands;

/// <summary>http firewall allow / drop / rm: the networks an HTTP rule admits or refuses at the edge.</summary>
internal sealed class HttpFirewallCommands(RuleGateway rules)
{
    [Command("allow", Description = "Admit only listed networks to a domain (the first allow closes it to every other network)")]
    public Task<int> Allow([Option("domain")] string domain, [Option("network", Description = "CIDR, e.g. 203.0.113.0/24")] string network) =>
        SendAsync(domain, FirewallActions.Allow, network);

    [Command("drop", Description = "Refuse a network at the edge for a domain")]
    public Task<int> Drop([Option("domain")] string domain, [Option("network", Description = "CIDR, e.g. 198.51.100.0/24")] string network) =>
        SendAsync(domain, FirewallActions.Drop, network);

    [Command("rm", Description = "Take a network off a domain's allow or drop list")]
    public Task<int> Remove([Option("domain")] string domain, [Option("network")] string network) =>
        SendAsync(domain, FirewallActions.Remove, network);

    private async Task<int> SendAsync(string domain, string action, string network)
    {
        var normal = "";
        if ((RuleValidation.Domain(domain) ?? Firewall.TryNormalize(network, out normal)) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        domain = domain.Trim().ToLowerInvariant();
        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.HttpFirewall, Domain = domain, Action = action, Network = normal },
            CancellationToken.None);
        return Outcomes.Report(response, FirewallActions.Describe(action, normal, domain));
    }
}

/// <summary>tcp firewall allow / drop / rm: the networks a leased port admits or refuses at the edge.</summary>
internal sealed class TcpFirewallCommands(RuleGateway rules)
{
    [Command("allow", Description = "Admit only listed networks to a leased port (the first allow closes it to every other network)")]
    public Task<int> Allow([Option("port")] int port, [Option("network", Description = "CIDR, e.g. 203.0.113.0/24")] string network) =>
        SendAsync(port, FirewallActions.Allow, network);

    [Command("drop", Description = "Refuse a network at the edge for a leased port")]
    public Task<int> Drop([Option("port")] int port, [Option("network", Description = "CIDR, e.g. 198.51.100.0/24")] string network) =>
        SendAsync(port, FirewallActions.Drop, network);

    [Command("rm", Description = "Take a network off a port's allow or drop list")]
    public Task<int> Remove([Option("port")] int port, [Option("network")] string network) =>
        SendAsync(port, FirewallActions.Remove, network);

    private async Task<int> SendAsync(int port, string action, string network)
    {
        var normal = "";
        if ((RuleValidation.Port(port, "--port") ?? Firewall.TryNormalize(network, out normal)) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.TcpFirewall, Port = port, Action = action, Network = normal },
            CancellationToken.None);
        return Outcomes.Report(response, FirewallActions.Describe(action, normal, $"port {port}"));
    }
}
