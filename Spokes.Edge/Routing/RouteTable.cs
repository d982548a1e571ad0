using System.Collections.Frozen;
using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;
using Spokes.Actors.Tunnels;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Routing;

/// <summary>A routable tunnel: its session and the links (one per node) through which visitors reach its
/// agent, the primary first.</summary>
public sealed record TunnelTarget(string TunnelId, string SessionId, ImmutableArray<LinkPresence> Links);

/// <summary>
/// An immutable snapshot of where traffic goes, rebuilt from the replicated maps (links per node, routes per
/// tunnel, nodes) and the cluster's membership, and swapped in whole: listeners read it without locks or actor
/// round trips. Links on nodes that are not reachable members are left out at once — routing never waits for
/// the split brain resolver to down a node.
/// </summary>
public sealed class RouteTable
{
    public static readonly RouteTable Empty = new([], [], FrozenDictionary<string, NodeInfo>.Empty);

    /// <param name="nodes">The live nodes (reachable members), by node name.</param>
    /// <param name="allNodes">Every node's last info, live or not (for status).</param>
    /// <param name="autoHostname">A tunnel's automatic hostname, or null (off): it routes like the tunnel's first HTTP rule.</param>
    public RouteTable(IEnumerable<TunnelRoutes> routes, IEnumerable<LinkPresence> links, IReadOnlyDictionary<string, NodeInfo> nodes,
        IReadOnlyDictionary<string, NodeInfo>? allNodes = null, Func<string, string?>? autoHostname = null)
    {
        Nodes = nodes as FrozenDictionary<string, NodeInfo> ?? nodes.ToFrozenDictionary();
        AllNodes = allNodes?.ToFrozenDictionary() ?? Nodes;
        var allLinks = links.ToList();
        Sessions = allLinks.GroupBy(l => l.SessionId).ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray());
        ByTunnel = allLinks.Where(l => Nodes.ContainsKey(l.Node))
            .GroupBy(l => l.TunnelId)
            .Select(g => Target(g.Key, g))
            .ToFrozenDictionary(t => t.TunnelId);
        Routes = routes.ToFrozenDictionary(r => r.TunnelId);
        var routable = Routes.Values.Where(r => ByTunnel.ContainsKey(r.TunnelId)).ToList();
        var domains = routable.SelectMany(r => r.Rules.Select(rule => (Rule: rule, Routes: r)))
            .GroupBy(x => x.Rule.Domain, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderByDescending(x => x.Routes.Updated).First())
            .Select(x => (Name: x.Rule.Domain, x.Rule, x.Routes))
            .ToList();
        // Automatic hostnames: the tunnel's first rule (ordinal order of domains, wildcards excepted) under one more name;
        // a rule an agent added for that very name wins.
        var claimed = domains.Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var aliases = autoHostname is null ? [] : routable
            .Select(r => (Routes: r, Rule: r.Rules.Where(x => !x.Domain.StartsWith("*.", StringComparison.Ordinal))
                .OrderBy(x => x.Domain, StringComparer.OrdinalIgnoreCase).FirstOrDefault()))
            .Where(x => x.Rule is not null)
            .Select(x => (Name: autoHostname(x.Routes.TunnelId), Rule: x.Rule!, x.Routes))
            .Where(x => x.Name is not null && !claimed.Contains(x.Name))
            .Select(x => (Name: x.Name!, x.Rule, x.Routes))
            .ToList();
        Aliases = aliases.ToFrozenDictionary(x => x.Name, x => x.Rule.Domain, StringComparer.OrdinalIgnoreCase);
        domains = [.. domains, .. aliases];
        ByDomain = domains.ToFrozenDictionary(x => x.Name, x => ByTunnel[x.Routes.TunnelId], StringComparer.OrdinalIgnoreCase);
        HttpRules = domains.ToFrozenDictionary(x => x.Name, x => x.Rule, StringComparer.OrdinalIgnoreCase);
        DomainFilters = domains.Select(x => (Domain: x.Name, Filter: Compile(x.Rule.Firewall)))
            .Where(x => x.Filter is not null)
            .ToFrozenDictionary(x => x.Domain, x => x.Filter!, StringComparer.OrdinalIgnoreCase);
        var ports = routable.SelectMany(r => r.Ports.Select(p => (Port: p, Routes: r)))
            .GroupBy(x => x.Port)
            .Select(g => g.OrderByDescending(x => x.Routes.Updated).First())
            .ToList();
        ByPort = ports.ToFrozenDictionary(x => x.Port, x => ByTunnel[x.Routes.TunnelId]);
        PortFilters = ports.Select(x => (x.Port, Filter: Compile(x.Routes.PortFirewalls?.GetValueOrDefault(x.Port))))
            .Where(x => x.Filter is not null)
            .ToFrozenDictionary(x => x.Port, x => x.Filter!);
    }

    /// <summary>Automatic hostnames in force, each to the domain of the rule it stands for.</summary>
    public FrozenDictionary<string, string> Aliases { get; }

    /// <summary>The rule of each routed domain (what the edge itself enforces: redirect, firewall lists).</summary>
    public FrozenDictionary<string, HttpRuleInfo> HttpRules { get; }

    /// <summary>The allow and drop lists of routed domains and ports that have any (compiled once per table).</summary>
    public FrozenDictionary<string, NetworkFilter> DomainFilters { get; }
    public FrozenDictionary<int, NetworkFilter> PortFilters { get; }

    /// <summary>Whether a visitor from <paramref name="visitor"/> may reach the domain's (or the port's) tunnel. An
    /// unknown address does not pass a list.</summary>
    public bool Admits(string? domain, int? port, System.Net.IPAddress? visitor)
    {
        var filter = domain is not null ? DomainFilters.GetValueOrDefault(domain) : PortFilters.GetValueOrDefault(port ?? 0);
        return filter is null || visitor is not null && filter.Admits(visitor);
    }

    private static NetworkFilter? Compile(FirewallInfo? lists) => lists is null ? null : NetworkFilter.From(lists.AllowList, lists.DropList);

    /// <summary>Tunnels with at least one link on a live node.</summary>
    public FrozenDictionary<string, TunnelTarget> ByTunnel { get; }
    public FrozenDictionary<string, TunnelTarget> ByDomain { get; }
    public FrozenDictionary<int, TunnelTarget> ByPort { get; }

    /// <summary>Every tunnel's last routes (online or not).</summary>
    public FrozenDictionary<string, TunnelRoutes> Routes { get; }

    /// <summary>Every replicated link by session id, live node or not (to admit an agent's next connection).</summary>
    public FrozenDictionary<string, ImmutableArray<LinkPresence>> Sessions { get; }

    /// <summary>The live nodes.</summary>
    public FrozenDictionary<string, NodeInfo> Nodes { get; }

    /// <summary>Every node's last info, live or not.</summary>
    public FrozenDictionary<string, NodeInfo> AllNodes { get; }

    public bool IsDraining(string node) => Nodes.TryGetValue(node, out var info) && info.Draining;

    /// <summary>Only the newest session of a tunnel routes (an older one is being replaced); primary link first.</summary>
    private static TunnelTarget Target(string tunnelId, IEnumerable<LinkPresence> links)
    {
        var newest = links.GroupBy(l => l.SessionId).OrderByDescending(g => g.Min(l => l.Since)).First();
        return new TunnelTarget(tunnelId, newest.Key,
            [.. newest.OrderByDescending(l => l.PrimarySince).ThenBy(l => l.Since)]);
    }
}
