namespace Spokes.Actors.Nodes;

/// <summary>
/// Whether this node should get new work: joined to the cluster, the cluster holds the store's lease (no second
/// cluster writes to it), the store answers, and it is not draining. <c>/readyz</c> answers from it; a balancer
/// stops sending new connections to a node that is not ready. Written by the node's own services, read anywhere.
/// A store that answers no node at all does not make the nodes unready: tunnels relay from memory (routes, links and
/// credentials are replicated between the nodes), only changes wait for the store, and a balancer that took every node
/// out would cut every tunnel for nothing. It is this node's problem — not ready — only while another node reaches the
/// store (docs/reliability.md, "Faults").
/// </summary>
public sealed class NodeReadiness
{
    private volatile bool _joined;
    private volatile bool _leaseHeld;
    private volatile bool _storeReachable = true;
    private volatile bool _draining;
    private volatile bool _peerReachesStore;
    private readonly Lock _gate = new();

    public bool Joined => _joined;
    public bool LeaseHeld => _leaseHeld;
    public bool StoreReachable => _storeReachable;
    public bool Draining => _draining;

    /// <summary>The node is leaving on purpose (drain, stop): its removal from the cluster is expected.</summary>
    public bool Leaving { get; private set; }

    public void SetLeaving() => Leaving = true;

    /// <summary>Agents and operators may be served (the node is a member of the cluster that owns the store).</summary>
    public bool CanServe => _joined && _leaseHeld;

    public bool IsReady => CanServe && (_storeReachable || !_peerReachesStore) && !_draining;

    /// <summary>Ready, but the store answers no node: what <c>/readyz</c> adds to "ready"; empty otherwise.</summary>
    public string Degraded => !_storeReachable && IsReady
        ? "the store does not answer on any node: tunnels relay from memory, changes are refused until it is back" : "";

    /// <summary>Whether another live node reported that the store answers it (written by the node-status publisher).</summary>
    public void SetPeerReachesStore(bool value) => _peerReachesStore = value;

    /// <summary>Why the node is not ready, for /readyz and cluster status; empty when ready.</summary>
    public string Reason =>
        !_joined ? "not joined to the cluster"
        : !_leaseHeld ? "the cluster does not hold the store's lease yet"
        : !_storeReachable && _peerReachesStore ? "the store does not answer this node (it answers another)"
        : _draining ? "draining"
        : "";

    /// <summary>Raised when <see cref="Draining"/> turns on.</summary>
    public event Action? DrainingStarted;

    /// <summary>Raised once, when the node may first serve (joined, and its cluster holds the store).</summary>
    public event Action? Serving;

    /// <summary>Raised once, when the node may serve and its listeners accept connections (<see cref="SetListening"/>):
    /// what "node up" and systemd's READY mean.</summary>
    public event Action? Up;

    private int _served;
    private int _listening;
    private int _up;

    /// <summary>The host's listeners are bound (Kestrel started).</summary>
    public void SetListening()
    {
        Volatile.Write(ref _listening, 1);
        RaiseServing();
    }

    public void SetJoined(bool value)
    {
        _joined = value;
        RaiseServing();
    }

    public void SetLeaseHeld(bool value)
    {
        _leaseHeld = value;
        RaiseServing();
    }

    private void RaiseServing()
    {
        if (CanServe && Interlocked.Exchange(ref _served, 1) == 0) Serving?.Invoke();
        if (CanServe && Volatile.Read(ref _listening) == 1 && Interlocked.Exchange(ref _up, 1) == 0) Up?.Invoke();
    }
    public void SetStoreReachable(bool value)
    {
        if (!value && _storeReachable) StoreLostAt = DateTimeOffset.UtcNow;
        _storeReachable = value;
    }

    /// <summary>When the store last stopped answering this node.</summary>
    public DateTimeOffset StoreLostAt { get; private set; }

    private long _storeLatencyTicks;

    /// <summary>How long the store took to answer the last probe (its timeout when it did not), for <c>/metrics</c>.</summary>
    public TimeSpan StoreLatency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _storeLatencyTicks));
        set => Interlocked.Exchange(ref _storeLatencyTicks, value.Ticks);
    }

    /// <summary>Turns draining on; true for the caller that turned it on.</summary>
    public bool StartDraining()
    {
        lock (_gate)
        {
            if (_draining) return false;
            _draining = true;
        }
        DrainingStarted?.Invoke();
        return true;
    }
}
