using System.Collections.Concurrent;

namespace Spokes.Edge.Sessions;

/// <summary>The tunnel links held by this node, by tunnel id. Written by session actors, read by listeners.</summary>
public sealed class LocalLinks
{
    private readonly ConcurrentDictionary<string, TunnelLink> _byTunnel = new();
    private readonly ConcurrentDictionary<string, TunnelLink> _bySession = new();

    public bool TryGet(string tunnelId, out TunnelLink link) => _byTunnel.TryGetValue(tunnelId, out link!);

    public bool TryGetSession(string sessionId, out TunnelLink link) => _bySession.TryGetValue(sessionId, out link!);

    public void Add(TunnelLink link)
    {
        _byTunnel[link.TunnelId] = link;
        _bySession[link.SessionId] = link;
    }

    public void Remove(TunnelLink link)
    {
        _byTunnel.TryRemove(new KeyValuePair<string, TunnelLink>(link.TunnelId, link));
        _bySession.TryRemove(new KeyValuePair<string, TunnelLink>(link.SessionId, link));
    }

    public int Count => _byTunnel.Count;

    /// <summary>Agent connections (pool connections of every link) held by this node.</summary>
    public int AgentConnections => _byTunnel.Values.Sum(l => l.PoolSize);

    public IEnumerable<TunnelLink> All => _byTunnel.Values;
}
