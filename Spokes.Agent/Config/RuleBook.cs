using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Config;

internal enum RuleFailure
{
    None,
    Invalid,
    NotFound,
}

/// <summary>The outcome of one rule change: the new config, or why it was not applied.</summary>
internal readonly record struct RuleChange(AgentConfig? Config, RuleFailure Failure = RuleFailure.None, string? Error = null)
{
    public static RuleChange Fail(RuleFailure failure, string error) => new(null, failure, error);
}

/// <summary>
/// Rule edits as pure functions of the config. The same edits serve the offline CLI, the local API
/// and rules pushed by the node. <c>strict</c> (offline CLI) reports missing rules as not found; once the
/// node has accepted a change it is applied as an upsert.
/// </summary>
internal static class RuleBook
{
    public static RuleChange Apply(AgentConfig config, LocalRequest request, bool strict)
    {
        switch (request.Op)
        {
            case LocalOps.HttpAdd when request.Rule is { } rule:
                if (RuleValidation.Http(rule) is { } invalid)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, invalid);
                }

                // Re-adding a domain keeps its firewall lists unless the request carries lists (the node pushes them whole).
                var previous = config.Http.FirstOrDefault(r => SameDomain(r.Domain, rule.Domain));
                rule = previous is not null && rule.Allow is null && rule.Drop is null
                    ? rule with { Allow = previous.Allow, Drop = previous.Drop }
                    : rule with { Allow = NullIfEmpty(rule.Allow), Drop = NullIfEmpty(rule.Drop) };
                if (Firewall.Validate(rule.Allow, rule.Drop) is { } badRuleLists)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, badRuleLists);
                }

                return new(config with { Http = [.. config.Http.Where(r => !SameDomain(r.Domain, rule.Domain)), rule] });

            case LocalOps.HttpRemove when request.Domain is { } domain:
                if (strict && !config.Http.Any(r => SameDomain(r.Domain, domain)))
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"no http rule for {domain}");
                }

                return new(config with { Http = [.. config.Http.Where(r => !SameDomain(r.Domain, domain))] });

            case LocalOps.TcpAllocated when request.Port is { } port:
                return new(config.Tcp.Any(r => r.Port == port) ? config : config with { Tcp = [.. config.Tcp, new TcpRule { Port = port }] });

            case LocalOps.TcpForward when request.Port is { } port:
                if (RuleValidation.TcpForward(port, request.Destination, request.DstPort) is { } bad)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, bad);
                }

                return Upsert(config, port, strict, new TcpRule { Port = port, Destination = request.Destination, DstPort = request.DstPort });

            case LocalOps.TcpReset when request.Port is { } port:
                return Upsert(config, port, strict, new TcpRule { Port = port });

            case LocalOps.TcpRelease when request.Port is { } port:
                if (strict && !config.Tcp.Any(r => r.Port == port))
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"port {port} is not leased to this tunnel");
                }

                return new(config with { Tcp = [.. config.Tcp.Where(r => r.Port != port)] });

            case LocalOps.HttpFirewall when request is { Domain: { } domain, Action: { } action, Network: { } network }:
                var http = config.Http.FirstOrDefault(r => SameDomain(r.Domain, domain));
                if (http is null)
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"no http rule for {domain}");
                }

                return Edit(http.Allow, http.Drop, action, network, domain) is var (allow, drop, failure, error) && error is not null
                    ? RuleChange.Fail(failure, error)
                    : new(config with { Http = [.. config.Http.Select(r => r == http ? r with { Allow = allow, Drop = drop } : r)] });

            case LocalOps.TcpFirewall when request is { Port: { } port, Action: { } action, Network: { } network }:
                var tcp = config.Tcp.FirstOrDefault(r => r.Port == port);
                if (tcp is null)
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"port {port} is not leased to this tunnel");
                }

                return Edit(tcp.Allow, tcp.Drop, action, network, $"port {port}") is var (tcpAllow, tcpDrop, tcpFailure, tcpError) && tcpError is not null
                    ? RuleChange.Fail(tcpFailure, tcpError)
                    : new(config with { Tcp = [.. config.Tcp.Select(r => r == tcp ? r with { Allow = tcpAllow, Drop = tcpDrop } : r)] });

            case LocalOps.TcpFirewallSet when request.Port is { } port:
                if (Firewall.Validate(request.Allow, request.Drop) is { } badLists)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, badLists);
                }

                var existing = config.Tcp.FirstOrDefault(r => r.Port == port) ?? new TcpRule { Port = port };
                var set = existing with { Allow = NullIfEmpty(request.Allow), Drop = NullIfEmpty(request.Drop) };
                return new(config with { Tcp = [.. config.Tcp.Where(r => r.Port != port), set] });

            default:
                return RuleChange.Fail(RuleFailure.Invalid, $"bad rule request '{request.Op}'");
        }
    }

    public static bool SameDomain(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static RuleChange Upsert(AgentConfig config, int port, bool strict, TcpRule rule)
    {
        var existing = config.Tcp.FirstOrDefault(r => r.Port == port);
        if (strict && existing is null)
        {
            return RuleChange.Fail(RuleFailure.NotFound, $"port {port} is not leased to this tunnel (run tcp allocate)");
        }

        // A forward or a reset changes where the port goes, not who may reach it.
        rule = rule with { Allow = existing?.Allow, Drop = existing?.Drop };
        return new(config with { Tcp = [.. config.Tcp.Where(r => r.Port != port), rule] });
    }

    /// <summary>One network allowed (taken off the drop list), dropped (taken off the allow list) or removed.</summary>
    private static (IReadOnlyList<string>? Allow, IReadOnlyList<string>? Drop, RuleFailure Failure, string? Error) Edit(
        IReadOnlyList<string>? allow, IReadOnlyList<string>? drop, string action, string network, string what)
    {
        if (Firewall.TryNormalize(network, out var normal) is { } bad)
        {
            return (null, null, RuleFailure.Invalid, bad);
        }

        var allowed = (allow ?? []).Where(n => n != normal).ToList();
        var dropped = (drop ?? []).Where(n => n != normal).ToList();
        switch (action)
        {
            case FirewallActions.Allow:
                allowed.Add(normal);
                break;
            case FirewallActions.Drop:
                dropped.Add(normal);
                break;
            case FirewallActions.Remove when allowed.Count == (allow?.Count ?? 0) && dropped.Count == (drop?.Count ?? 0):
                return (null, null, RuleFailure.NotFound, $"{normal} is in neither list of {what}");
            case FirewallActions.Remove:
                break;
            default:
                return (null, null, RuleFailure.Invalid, $"bad firewall action '{action}'");
        }

        if (Firewall.Validate(allowed, dropped) is { } tooMany)
        {
            return (null, null, RuleFailure.Invalid, tooMany);
        }

        return (NullIfEmpty(allowed), NullIfEmpty(dropped), RuleFailure.None, null);
    }

    private static IReadOnlyList<string>? NullIfEmpty(IReadOnlyList<string>? list) => list is { Count: > 0 } ? list : null;
}
