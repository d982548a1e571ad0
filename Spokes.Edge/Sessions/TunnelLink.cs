using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Sessions;

/// <summary>
/// The I/O half of a tunnel session on this node — a link: the agent's connections to this node, the first of
/// which carries this link's control channel. A session may have links on several nodes. Listeners call
/// <see cref="OpenStreamAsync"/> directly (no actor hop per connection); the session actor decides what the agent
/// may do and owns the link's lifetime.
/// </summary>
public sealed class TunnelLink
{
    private MuxSession[] _pool;
    private readonly CancellationTokenSource _closed = new();

    public TunnelLink(string tunnelId, string sessionId, string sessionSecret, int maxPoolSize, string clientAddress,
        MuxSession first, ControlChannel control, IReadOnlyList<string>? features = null)
    {
        AgentFeatures = features ?? [];
        TunnelId = tunnelId;
        SessionId = sessionId;
        SessionSecret = sessionSecret;
        MaxPoolSize = maxPoolSize;
        ClientAddress = clientAddress;
        Control = control;
        _pool = [first];
    }

    public string TunnelId { get; }
    public string SessionId { get; }
    public string SessionSecret { get; }
    public int MaxPoolSize { get; }
    public string ClientAddress { get; }
    public ControlChannel Control { get; }

    /// <summary>What the agent said it understands in its hello (<see cref="Tunnel.Control.AgentFeatures"/>).</summary>
    public IReadOnlyList<string> AgentFeatures { get; }

    public bool HasLegs => AgentFeatures.Contains(Tunnel.Control.AgentFeatures.Legs);
    public CancellationToken Closed => _closed.Token;
    public int PoolSize => Volatile.Read(ref _pool).Length;
    public int OpenStreams => Volatile.Read(ref _pool).Sum(s => s.OpenStreams);

    /// <summary>True while some connection of the link takes new streams (the agent has not sent GoAway on all).</summary>
    public bool Accepting => Volatile.Read(ref _pool).Any(s => !s.IsClosed && s.RemoteGoAway is null);

    /// <summary>Opens a stream on the least loaded live connection of the pool that takes new streams.</summary>
    public async Task<MuxStream> OpenStreamAsync(StreamOpenHeader header, CancellationToken ct)
    {
        var pool = Volatile.Read(ref _pool);
        MuxSession? best = null;
        foreach (var session in pool)
            if (!session.IsClosed && session.RemoteGoAway is null && (best is null || session.OpenStreams < best.OpenStreams))
                best = session;
        if (best is null) throw new MuxException("the tunnel has no open connection");
        return await best.OpenStreamAsync(header.Encode(), ct);
    }

    /// <summary>Adds a data connection; false when the pool is full or the link is closing.</summary>
    public bool TryAddConnection(MuxSession session)
    {
        while (true)
        {
            var pool = Volatile.Read(ref _pool);
            if (_closed.IsCancellationRequested || pool.Count(s => !s.IsClosed) >= MaxPoolSize) return false;
            MuxSession[] next = [.. pool.Where(s => !s.IsClosed), session];
            if (Interlocked.CompareExchange(ref _pool, next, pool) == pool) return true;
        }
    }

    /// <summary>Tells the agent why (when there is a reason to give) and closes every connection.</summary>
    public async Task CloseAsync(string? shutdownReason)
    {
        if (_closed.IsCancellationRequested) return;
        if (shutdownReason is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Control.SendAsync(new Shutdown { Reason = shutdownReason }, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The agent is already gone; closing is all that is left.
            }
        }
        await _closed.CancelAsync();
        foreach (var session in Volatile.Read(ref _pool))
            await session.DisposeAsync();
    }
}
