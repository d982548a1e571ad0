using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Session;

/// <summary>
/// One node of the session: the agent's connections to that node. The first carries this leg's control channel
/// (stream 1); further pool connections carry only visitors' streams. When the first connection ends, the
/// node ends its link, so the whole leg goes.
/// <code>
/// Serving → Draining (the node asked to move: a replacement leg is dialled first)
///         → Retiring (GoAway sent: no new streams here; closed once its streams are done or the deadline passed)
/// </code>
/// </summary>
internal sealed class Leg(string node, string? endpoint, MuxSession primary, ControlChannel control, DateTimeOffset since)
{
    private readonly Lock _lock = new();
    private readonly List<Extra> _extras = [];

    /// <summary>The node's name as its welcome gave it ("" for a node that does not say).</summary>
    public string Node { get; } = node;

    /// <summary>The endpoint that reaches this node (its advertised one), or null for the configured one.</summary>
    public string? Endpoint { get; } = endpoint;

    public MuxSession Primary { get; } = primary;

    public ControlChannel Control { get; } = control;

    public DateTimeOffset Since { get; } = since;

    /// <summary>Set when the node sent drain: leave it by this time.</summary>
    public DateTimeOffset? DrainDeadline { get; set; }

    public bool Draining => DrainDeadline is not null;

    public bool Retiring { get; private set; }

    /// <summary>Serving and not on its way out: counts toward the session's legs.</summary>
    public bool Active => !Draining && !Retiring && !Primary.IsClosed;

    public bool IsClosed => Primary.IsClosed;

    public int Size
    {
        get
        {
            lock (_lock)
            {
                return 1 + _extras.Count(e => !e.Mux.IsClosed);
            }
        }
    }

    /// <summary>Visitors' streams on this leg (the control channel is not one).</summary>
    public int OpenStreams
    {
        get
        {
            lock (_lock)
            {
                return Math.Max(0, Primary.OpenStreams - 1) + _extras.Sum(e => e.Mux.OpenStreams);
            }
        }
    }

    /// <summary>Open streams per connection, the primary first.</summary>
    public int[] Load()
    {
        lock (_lock)
        {
            _extras.RemoveAll(e => e.Mux.IsClosed);
            return [Math.Max(0, Primary.OpenStreams - 1), .. _extras.Select(e => e.Mux.OpenStreams)];
        }
    }

    public void AddExtra(MuxSession mux)
    {
        lock (_lock)
        {
            _extras.Add(new Extra(mux));
        }
    }

    /// <summary>Stops taking streams here: GoAway on every connection of the leg.</summary>
    public async Task RetireAsync()
    {
        Retiring = true;
        foreach (var mux in Connections())
        {
            await mux.GoAwayAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes extra connections that carried no stream for <paramref name="idleTimeout"/>; returns how many.</summary>
    public async Task<int> CloseIdleExtrasAsync(DateTimeOffset now, TimeSpan idleTimeout)
    {
        var idle = new List<Extra>();
        lock (_lock)
        {
            foreach (var extra in _extras)
            {
                extra.IdleSince = extra.Mux.OpenStreams == 0 ? extra.IdleSince ?? now : null;
                if (PoolPlan.ShouldClose(extra.IdleSince, now, idleTimeout))
                {
                    idle.Add(extra);
                }
            }

            _extras.RemoveAll(idle.Contains);
        }

        foreach (var extra in idle)
        {
            await extra.Mux.DisposeAsync().ConfigureAwait(false);
        }

        return idle.Count;
    }

    public async ValueTask CloseAsync()
    {
        foreach (var mux in Connections())
        {
            await mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private MuxSession[] Connections()
    {
        lock (_lock)
        {
            return [Primary, .. _extras.Select(e => e.Mux)];
        }
    }

    public override string ToString() => Node.Length == 0 ? "the node" : $"node {Node}";

    private sealed class Extra(MuxSession mux)
    {
        public MuxSession Mux { get; } = mux;
        public DateTimeOffset? IdleSince { get; set; }
    }
}
