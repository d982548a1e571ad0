using System.Collections.Frozen;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Routing;

/// <summary>
/// An immutable snapshot of where traffic goes, rebuilt from the replicated presence map whenever it changes
/// and swapped in whole: listeners read it without locks or actor round trips.
/// </summary>
public sealed class RouteTable
{
    public static readonly RouteTable Empty = new([]);

    public RouteTable(IEnumerable<SessionPresence> sessions)
    {
        var list = sessions.ToList();
        ByTunnel = list.ToFrozenDictionary(s => s.TunnelId);
        ByDomain = list.SelectMany(s => s.Domains.Select(d => (Domain: d, Session: s)))
            .GroupBy(x => x.Domain, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(x => x.Session.Since).First().Session, StringComparer.OrdinalIgnoreCase);
        ByPort = list.SelectMany(s => s.Ports.Select(p => (Port: p, Session: s)))
            .GroupBy(x => x.Port)
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(x => x.Session.Since).First().Session);
    }

    public FrozenDictionary<string, SessionPresence> ByTunnel { get; }
    public FrozenDictionary<string, SessionPresence> ByDomain { get; }
    public FrozenDictionary<int, SessionPresence> ByPort { get; }
}
