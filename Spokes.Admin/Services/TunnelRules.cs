using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;

namespace Spokes.Admin.Services;

/// <summary>A tunnel's rules as the console shows them: live while the agent is online, cached (read-only)
/// otherwise. <see cref="Message"/> is the result of the change just applied, if any.</summary>
public sealed record TunnelRulesDto(string TunnelId, bool Online, string Message, ImmutableList<HttpRuleInfo> Http,
    ImmutableList<PortDto> Ports, ImmutableDictionary<int, FirewallInfo>? PortFirewalls = null,
    ImmutableDictionary<string, ServiceState>? Services = null)
{
    public FirewallInfo? FirewallOf(int port) => PortFirewalls?.GetValueOrDefault(port);
}

/// <summary>Remote rule management (SPEC §7): shows a tunnel's rules and pushes changes to its online agent,
/// which applies and saves them as its own CLI would.</summary>
public interface ITunnelRules
{
    Task<Outcome<TunnelRulesDto>> GetAsync(string tunnelId);

    /// <summary>Applies the change through the agent; the outcome carries the agent's refusal when it said no.</summary>
    Task<Outcome<TunnelRulesDto>> ApplyAsync(string tunnelId, RuleChange change, string by);
}

public sealed class TunnelRules(AdminOperations operations) : ITunnelRules
{
    public Task<Outcome<TunnelRulesDto>> GetAsync(string tunnelId) => SendAsync(tunnelId, null, "console");

    public Task<Outcome<TunnelRulesDto>> ApplyAsync(string tunnelId, RuleChange change, string by) =>
        // Checked here too so that a form mistake costs no round trip to the agent.
        change.Problem() is { } problem ? Task.FromResult(Outcome<TunnelRulesDto>.Failure(problem)) : SendAsync(tunnelId, change, by);

    private async Task<Outcome<TunnelRulesDto>> SendAsync(string tunnelId, RuleChange? change, string by) =>
        (await operations.HandleAsync(new TunnelRulesRequest(tunnelId, change), by)).ToOutcome(r => r is TunnelRulesReply t
            ? new TunnelRulesDto(t.TunnelId, t.Online, t.Message, t.Http, t.Ports.OrderBy(p => p.Port).ToImmutableList(), t.PortFirewalls,
                t.Services)
            : null);
}
