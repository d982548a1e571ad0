namespace Spokes.Edge.Traffic;

/// <summary>Running totals of what this node relays (visitor connections opened, bytes moved), for the node's
/// load figures. Counters only: readers compute rates from two samples.</summary>
public sealed class TrafficMeter
{
    private long _connections;
    private long _bytes;
    private long _active;

    public long Connections => Interlocked.Read(ref _connections);
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Visitor connections being relayed right now (a draining node waits for them).</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>A visitor connection started; dispose the result when it ends.</summary>
    public Scope Open()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
        return new Scope(this);
    }

    public void AddBytes(long bytes)
    {
        if (bytes > 0) Interlocked.Add(ref _bytes, bytes);
    }

    public readonly struct Scope(TrafficMeter meter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref meter._active);
    }
}
