using System.Collections.Frozen;
using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;

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
    public RouteTable(IEnumerable<TunnelRoutes> routes, IEnumerable<LinkPresence> links, IReadOnlyDictionary<string, NodeInfo> nodes,
        IReadOnlyDictionary<string, NodeInfo>? allNodes = null)
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
        ByDomain = routable.SelectMany(r => r.Domains.Select(d => (Domain: d, Routes: r)))
            .GroupBy(x => x.Domain, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => ByTunnel[g.OrderByDescending(x => x.Routes.Updated).First().Routes.TunnelId],
                StringComparer.OrdinalIgnoreCase);
        ByPort = routable.SelectMany(r => r.Ports.Select(p => (Port: p, Routes: r)))
            .GroupBy(x => x.Port)
            .ToFrozenDictionary(g => g.Key, g => ByTunnel[g.OrderByDescending(x => x.Routes.Updated).First().Routes.TunnelId]);
    }

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
