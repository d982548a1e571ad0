using Spokes.Tunnel.Mux;
using System.Collections.Concurrent;

namespace Spokes.Edge.Traffic;

/// <summary>Running totals of what this node relays (visitor connections opened, bytes moved, hops to other nodes),
/// node-wide for the load figures and per tunnel for <c>/metrics</c> and the traffic graphs (<see cref="TrafficHistory"/>).
/// Counters only: readers compute rates from two samples. A tunnel's figures are counted on the node holding the agent
/// link that carried the connection, so the sum over the nodes counts each connection once; its bytes as they move
/// (<see cref="Scope.Counting"/>), not when the connection ends.</summary>
public sealed class TrafficMeter
{
    /// <summary>Most tunnels with figures of their own; connections of further tunnels are summed under
    /// <see cref="OtherTunnels"/>, so a scrape stays bounded however many tunnels a node serves.</summary>
    public const int MaxTunnelSeries = 1000;

    public const string OtherTunnels = "_other";

    private readonly ConcurrentDictionary<string, TunnelTraffic> _tunnels = new(StringComparer.Ordinal);
    private long _connections;
    private long _bytes;
    private long _active;
    private long _relayHops;

    public long Connections => Interlocked.Read(ref _connections);
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Visitor connections being relayed right now (a draining node waits for them).</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>Visitor connections this node passed to another node's link of their tunnel.</summary>
    public long RelayHops => Interlocked.Read(ref _relayHops);

    public IEnumerable<KeyValuePair<string, TunnelTraffic>> Tunnels => _tunnels;

    /// <summary>A visitor connection started, carried by this node's link of <paramref name="tunnelId"/> (null: by
    /// another node's, a relay hop); dispose the result when it ends.</summary>
    public Scope Open(string? tunnelId)
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
        var tunnel = tunnelId is null ? null : For(tunnelId);
        if (tunnel is null) Interlocked.Increment(ref _relayHops);
        else
        {
            Interlocked.Increment(ref tunnel.OpenCount);
            Interlocked.Increment(ref tunnel.OpenedCount);
        }
        return new Scope(this, tunnel);
    }

    public void AddBytes(long bytes)
    {
        if (bytes > 0) Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>A connection of <paramref name="tunnelId"/> ended (its bytes were counted as they moved).</summary>
    public void Closed(string tunnelId) => Interlocked.Increment(ref For(tunnelId).ClosedCount);

    private TunnelTraffic For(string tunnelId) =>
        _tunnels.TryGetValue(tunnelId, out var known) ? known
            : _tunnels.GetOrAdd(_tunnels.Count >= MaxTunnelSeries ? OtherTunnels : tunnelId, _ => new TunnelTraffic());

    public readonly struct Scope(TrafficMeter meter, TunnelTraffic? tunnel) : IDisposable
    {
        /// <summary><paramref name="policy"/>, also counting the bytes into the tunnel's figures (when this node's link carries it).</summary>
        public RelayPolicy Counting(RelayPolicy policy) => tunnel is null ? policy : policy with { CountWay = tunnel.Moved };

        public void Dispose()
        {
            Interlocked.Decrement(ref meter._active);
            if (tunnel is not null) Interlocked.Decrement(ref tunnel.OpenCount);
        }
    }
}

/// <summary>One tunnel's figures on this node since it started.</summary>
public sealed class TunnelTraffic
{
    internal long OpenCount;
    internal long OpenedCount;
    internal long ClosedCount;
    internal long BytesInCount;
    internal long BytesOutCount;

    public long Open => Interlocked.Read(ref OpenCount);
    public long Opened => Interlocked.Read(ref OpenedCount);
    public long Closed => Interlocked.Read(ref ClosedCount);
    public long BytesIn => Interlocked.Read(ref BytesInCount);
    public long BytesOut => Interlocked.Read(ref BytesOutCount);

    /// <summary>Bytes moved: <paramref name="toVisitor"/> from the agent's side back to the visitor ("out"), else "in".</summary>
    public void Moved(long bytes, bool toVisitor) => Interlocked.Add(ref toVisitor ? ref BytesOutCount : ref BytesInCount, bytes);
}
