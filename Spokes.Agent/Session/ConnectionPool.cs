using Spokes.Agent.Relay;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Session;

/// <summary>
/// The session's further data connections. The first connection (with the control channel) is
/// always kept; more join the session (<c>hello role:data</c>) while streams exceed the threshold, up
/// to the node's maxPoolSize, and extra ones idle for a minute are closed.
/// </summary>
internal sealed class ConnectionPool(
    NodeDialer dialer, Func<ConnectionRole, Hello> hello, Welcome welcome, MuxSession primary,
    StreamRelay relay, AgentLog log, AgentOptions options, TimeProvider time) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Extra> _extras = [];
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;

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

    public int OpenStreams
    {
        get
        {
            lock (_lock)
            {
                // The primary's control channel is not a visitor's stream.
                return Math.Max(0, primary.OpenStreams - 1) + _extras.Sum(e => e.Mux.OpenStreams);
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.PoolCheckInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            await CloseIdleAsync().ConfigureAwait(false);
            int[] load;
            lock (_lock)
            {
                _extras.RemoveAll(e => e.Mux.IsClosed);
                load = [Math.Max(0, primary.OpenStreams - 1), .. _extras.Select(e => e.Mux.OpenStreams)];
            }

            if (time.GetUtcNow() >= _nextAttempt && PoolPlan.ShouldGrow(load, welcome.MaxPoolSize, options.StreamsPerConnection))
            {
                await GrowAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Extra[] extras;
        lock (_lock)
        {
            extras = [.. _extras];
            _extras.Clear();
        }

        foreach (var extra in extras)
        {
            await extra.Mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task GrowAsync(CancellationToken cancellationToken)
    {
        MuxSession? mux = null;
        try
        {
            mux = await dialer.DialAsync(cancellationToken).ConfigureAwait(false);
            await using (var channel = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false)))
            {
                await channel.HelloAsync(hello(ConnectionRole.Data), ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }

            var extra = new Extra(mux) { IdleSince = null };
            extra.Serving = relay.ServeAsync(mux, cancellationToken);
            int size;
            lock (_lock)
            {
                _extras.Add(extra);
                size = 1 + _extras.Count;
            }

            log.Info($"opened data connection ({size}/{welcome.MaxPoolSize})");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (mux is not null)
            {
                await mux.DisposeAsync().ConfigureAwait(false);
            }

            _nextAttempt = time.GetUtcNow() + TimeSpan.FromSeconds(5);
            log.Info($"could not open a data connection: {ex.Message}");
        }
    }

    private async Task CloseIdleAsync()
    {
        DateTimeOffset now = time.GetUtcNow();
        var idle = new List<Extra>();
        lock (_lock)
        {
            foreach (var extra in _extras)
            {
                extra.IdleSince = extra.Mux.OpenStreams == 0 ? extra.IdleSince ?? now : null;
                if (PoolPlan.ShouldClose(extra.IdleSince, now, options.IdleTimeout))
                {
                    idle.Add(extra);
                }
            }

            _extras.RemoveAll(idle.Contains);
        }

        foreach (var extra in idle)
        {
            await extra.Mux.DisposeAsync().ConfigureAwait(false);
            log.Info("closed an idle data connection");
        }
    }

    private sealed class Extra(MuxSession mux)
    {
        public MuxSession Mux { get; } = mux;
        public DateTimeOffset? IdleSince { get; set; }
        public Task Serving { get; set; } = Task.CompletedTask;
    }
}
