using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;

namespace Spokes.Edge.Routing;

/// <summary>Holds the current <see cref="RouteTable"/>; the presence actor swaps it, listeners read it.
/// It also answers the admin side's "which tunnels are online" from the same snapshot.</summary>
public sealed class RouteTableSource(AutoHostnames? autoHostnames = null) : ITunnelPresence, INodeDirectory
{
    /// <summary>Names tunnels get while <c>tunOptions.autoHostnames</c> is on (null in a process without them).</summary>
    public AutoHostnames? AutoHostnames => autoHostnames;

    private RouteTable _current = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Raised after a swap (on the presence actor's thread; handlers must not block).</summary>
    public event Action<RouteTable>? Changed;

    public void Swap(RouteTable table)
    {
        Interlocked.Exchange(ref _current, table);
        Changed?.Invoke(table);
    }

    public IReadOnlyDictionary<string, NodeInfo> Nodes => Current.AllNodes;

    public ImmutableDictionary<string, SessionPresence> Online => Current.ByTunnel.Values.ToImmutableDictionary(t => t.TunnelId,
        t => new SessionPresence(t.TunnelId, t.SessionId, [.. t.Links.Select(l => l.Node)], t.Links[0].ClientAddress,
            t.Links.Min(l => l.Since)));

    public ImmutableDictionary<int, Spokes.Actors.Tunnels.FirewallInfo> PortFirewalls(string tunnelId) =>
        Current.Routes.GetValueOrDefault(tunnelId)?.PortFirewalls ?? ImmutableDictionary<int, Spokes.Actors.Tunnels.FirewallInfo>.Empty;
}
