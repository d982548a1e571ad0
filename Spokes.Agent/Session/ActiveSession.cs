using System.Threading.Channels;
using Spokes.Agent.Relay;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Session;

/// <summary>
/// One live Session: its legs — the agent's connections to each node it holds (<see cref="Leg"/>) — the streams
/// the nodes open, and the primary leg the agent sends its rule requests on. By default the session keeps legs
/// on two distinct nodes (the node's welcome says how many), so losing a node costs only the connections it
/// carried: the other leg keeps serving, becomes primary (its node hears <c>syncRules</c>) and a new leg is
/// dialled. The session ends when its last leg is gone; <see cref="RunAsync"/> then returns the reason.
/// </summary>
internal sealed class ActiveSession(AgentRuntime runtime, NodeDialer dialer, AgentLog log, AgentOptions options, TimeProvider time)
    : IAsyncDisposable
{
    private readonly Channel<(ControlRequest Request, ControlChannel Channel)> _pushed =
        Channel.CreateUnbounded<(ControlRequest, ControlChannel)>(new() { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly List<Leg> _legs = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _retryAt = new();
    private readonly List<Task> _background = [];
    private CancellationTokenSource _stop = new();
    private Leg? _primary;
    private StreamRelay? _relay;
    private AgentStopException? _stopReason;
    private IReadOnlyList<NodeEndpoint> _nodes = [];
    private DateTimeOffset _configuredRetryAt = DateTimeOffset.MinValue;

    /// <summary>Nodes whose advertised endpoint could not be dialled for a pool connection (only the maintenance loop uses it).</summary>
    private readonly HashSet<string> _advertisedUnreachable = new(StringComparer.Ordinal);

    /// <summary>How long a surplus leg's streams may run on before it is closed regardless.</summary>
    private static readonly TimeSpan SurplusGrace = TimeSpan.FromSeconds(30);

    public ControlChannel? Control => Volatile.Read(ref _primary)?.Control;

    public Welcome? Welcome { get; private set; }

    public DateTimeOffset Since { get; private set; }

    /// <summary>The nodes the cluster last listed (for the next session, should this one end).</summary>
    public IReadOnlyList<NodeEndpoint> KnownNodes => Volatile.Read(ref _nodes);

    public int PoolSize => Legs().Sum(l => l.Size);

    public int OpenStreams => Legs().Sum(l => l.OpenStreams);

    /// <summary>The nodes this session holds, the primary's first.</summary>
    public IReadOnlyList<string> Nodes => [.. Legs().OrderBy(l => l == _primary ? 0 : 1).Select(l => l.Node)];

    /// <summary>The node the primary leg is on, when the session ended (it is the one that failed first).</summary>
    public string? LastPrimaryNode { get; private set; }

    /// <param name="endpoint">Where to dial the first connection: a known node's endpoint, or null for the configured one.</param>
    public async Task<string> RunAsync(string? endpoint, CancellationToken cancellationToken)
    {
        var (mux, control, welcome) = await ConnectAsync(endpoint, ConnectionRole.Control, cancellationToken).ConfigureAwait(false);
        Welcome = welcome;
        Since = time.GetUtcNow();
        Volatile.Write(ref _nodes, welcome.Nodes ?? []);
        _stop.Dispose();
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stop = _stop;
        _relay = new StreamRelay(() => runtime.Config, runtime.Sites, log);
        var first = StartLeg(new Leg(welcome.Node ?? "", endpoint, mux, control, Since), stop.Token);
        Volatile.Write(ref _primary, first);
        runtime.OnConnected(this);
        Background(HandlePushedAsync(stop.Token));
        Background(MaintainAsync(stop.Token));
        Background(runtime.SyncRulesAsync(control, Welcome, stop.Token));
        try
        {
            string reason = await _ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_stopReason is { } stopping)
            {
                throw stopping;
            }

            return reason;
        }
        finally
        {
            LastPrimaryNode = Volatile.Read(ref _primary)?.Node ?? first.Node;
            runtime.OnDisconnected(this);
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var leg in Legs())
            {
                leg.Primary.Abort();
            }

            Task[] background;
            lock (_lock)
            {
                background = [.. _background];
            }

            await Task.WhenAll(background).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var leg in Legs())
        {
            await leg.CloseAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>A stream to the node for one connection of a port map, on the leg rule requests go to; null when the
    /// node does not take port maps.</summary>
    public async Task<MuxStream?> OpenMapStreamAsync(string to, CancellationToken cancellationToken)
    {
        if (!NodeFeatures.Has(Welcome, NodeFeatures.Map)) return null;
        var leg = Volatile.Read(ref _primary) is { Active: true } primary ? primary : Legs().FirstOrDefault(l => l.Active);
        if (leg is null) throw new MuxException("no connection to the server takes new streams");
        return await leg.Primary.OpenStreamAsync(new MapOpenHeader { To = to }.Encode(), cancellationToken).ConfigureAwait(false);
    }

    private Leg[] Legs()
    {
        lock (_lock)
        {
            return [.. _legs];
        }
    }

    private void Background(Task task)
    {
        lock (_lock)
        {
            _background.Add(Quietly(task));
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Dials a connection and says hello: Control opens the session, Data joins it (on any node).</summary>
    private async Task<(MuxSession Mux, ControlChannel Control, Welcome Welcome)> ConnectAsync(string? endpoint, ConnectionRole role,
        CancellationToken cancellationToken)
    {
        MuxSession mux = await dialer.DialAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            var control = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false));
            Welcome welcome = await HelloAsync(control, runtime.NewHello(role, Welcome), cancellationToken).ConfigureAwait(false);
            return (mux, control, welcome);
        }
        catch
        {
            await mux.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<Welcome> HelloAsync(ControlChannel channel, Hello hello, CancellationToken cancellationToken)
    {
        try
        {
            return await channel.HelloAsync(hello, ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ControlRefusedException ex) when (ex.Code is RefusalCodes.Unauthorized or RefusalCodes.Inactive)
        {
            throw new AgentStopException($"auth token refused by server: {ex.Message} — run spokes-agent configure");
        }
        catch (ControlRefusedException ex) when (ex.Code is RefusalCodes.VersionMismatch)
        {
            throw new AgentStopException($"the server refused this agent: {ex.Message}");
        }
        catch (ControlProtocolException ex) when (ex is not ControlRefusedException && ex.Message.Contains("this agent speaks", StringComparison.Ordinal))
        {
            throw new AgentStopException(ex.Message);
        }
    }

    private Leg StartLeg(Leg leg, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _legs.Add(leg);
        }

        Background(_relay!.ServeAsync(leg.Primary, cancellationToken));
        Background(KeepAliveAsync(leg.Primary, cancellationToken));
        Background(ReceiveAsync(leg, cancellationToken));
        return leg;
    }

    /// <summary>Files a new connection: a leg on a node not held yet, else an extra connection of the leg on its node —
    /// also when it was opened for a leg and landed on a node already held (through a balancer): the next leg attempt
    /// comes after the leg retry delay.</summary>
    private async Task FileAsync(MuxSession mux, ControlChannel control, Welcome welcome, string? endpoint, CancellationToken cancellationToken)
    {
        string node = welcome.Node ?? "";
        Leg? existing = Legs().FirstOrDefault(l => l.Node == node && !l.IsClosed);
        if (welcome.Control == true && existing is null)
        {
            StartLeg(new Leg(node, endpoint, mux, control, time.GetUtcNow()), cancellationToken);
            log.Info($"holding node {node} as well ({Legs().Length} nodes)");
            return;
        }

        await control.DisposeAsync().ConfigureAwait(false);
        if (existing is null || welcome.Control == true)
        {
            // The node took it for a leg of its own, but we already hold one there (or none is left to join).
            await mux.DisposeAsync().ConfigureAwait(false);
            return;
        }

        // A leg attempt that landed on a node already held joined that node's link: the node may open visitors'
        // streams on it at once, so it is served as an extra (closed once idle), never cut; the leg is tried again later.

        existing.AddExtra(mux);
        Background(_relay!.ServeAsync(mux, cancellationToken));
        log.Info($"opened data connection ({PoolSize}/{Welcome!.MaxPoolSize})");
    }

    /// <summary>A leg's control loop; when it ends, the leg is gone.</summary>
    private async Task ReceiveAsync(Leg leg, CancellationToken cancellationToken)
    {
        string reason;
        try
        {
            while (await leg.Control.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                switch (message)
                {
                    case Shutdown shutdown:
                        _stopReason = new AgentStopException($"tunnel shut down by the server: {shutdown.Reason}");
                        _ended.TrySetResult(shutdown.Reason);
                        return;
                    case KeepAlivePing ping:
                        await leg.Control.SendAsync(new KeepAlivePong { Nonce = ping.Nonce }, cancellationToken).ConfigureAwait(false);
                        break;
                    case NodesUpdate update:
                        Volatile.Write(ref _nodes, update.Nodes);
                        Wake();
                        break;
                    case Drain drain:
                        leg.DrainDeadline ??= time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(1, drain.Seconds));
                        log.Info($"{leg} is draining: moving this tunnel's connections to another node");
                        Wake();
                        break;
                    case MonitorSettings monitor:
                        runtime.Monitor.Configure(monitor);
                        break;
                    case ServerName name:
                        // Not awaited: saving takes the rule lock, which a rule change holds while it waits for this loop.
                        runtime.FollowServerName(name);
                        break;
                    case ControlRequest request:
                        _pushed.Writer.TryWrite((request, leg.Control));
                        break;
                }
            }

            reason = $"{leg} closed the control channel";
        }
        catch (Exception ex) when (ex is IOException or MuxException or ControlProtocolException or ObjectDisposedException)
        {
            reason = leg.Primary.CloseReason?.Message ?? ex.Message;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await LostAsync(leg, reason).ConfigureAwait(false);
    }

    /// <summary>A leg ended: another one becomes primary (and hears syncRules); with none left, the session ends.</summary>
    private async Task LostAsync(Leg leg, string reason)
    {
        Leg? promoted = null;
        bool last;
        lock (_lock)
        {
            _legs.Remove(leg);
            last = _legs.Count == 0;
            if (!last && _primary == leg)
            {
                promoted = _legs.OrderBy(l => l.Draining || l.Retiring ? 1 : 0).ThenBy(l => l.Since).First();
                _primary = promoted;
            }
        }

        await leg.CloseAsync().ConfigureAwait(false);
        if (last)
        {
            _ended.TrySetResult(reason);
            return;
        }

        if (!leg.Retiring)
        {
            log.Info($"lost {leg}: {reason}");
            _retryAt[leg.Node] = time.GetUtcNow() + options.LegRetry;
        }

        if (promoted is not null)
        {
            log.Info($"rule requests now go to {promoted}");
            Background(runtime.SyncRulesAsync(promoted.Control, Welcome, _stop.Token));
        }

        Wake();
    }

    /// <summary>Rules pushed by the nodes, applied one at a time in the order they came, answered on their leg.</summary>
    private async Task HandlePushedAsync(CancellationToken cancellationToken)
    {
        await foreach (var (request, channel) in _pushed.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            string? error = await runtime.ApplyPushedAsync(request).ConfigureAwait(false);
            try
            {
                if (error is null)
                {
                    await channel.ReplyOkAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await channel.ReplyErrorAsync(request, error, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or MuxException or ObjectDisposedException)
            {
                // That leg is gone; the node that pushed hears nothing and reports a timeout.
            }
        }
    }

    /// <summary>Every pool check (or when woken): moves off draining nodes, keeps the target number of legs,
    /// grows and shrinks each leg's pool.</summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.PoolCheckInterval, time);
        Task<bool> tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
        while (!cancellationToken.IsCancellationRequested)
        {
            Task<bool> woken = _wake.Reader.WaitToReadAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(tick, woken).ConfigureAwait(false) == tick)
            {
                if (!await tick.ConfigureAwait(false))
                {
                    return;
                }

                tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
            }
            else
            {
                _wake.Reader.TryRead(out _);
            }

            await KeepLegsAsync(cancellationToken).ConfigureAwait(false);
            await RetireDrainingAsync().ConfigureAwait(false);
            await ResizePoolsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task KeepLegsAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        Leg[] legs = Legs();
        int target = LegPlan.Target(Welcome!.Legs, Welcome.MaxPoolSize, KnownNodes);
        // Legs come before extra connections: a missing leg is opened even when extras on other legs fill the pool
        // (each node caps its own links; extras close once idle).
        int active = legs.Count(l => l.Active);
        // Only more legs than the node asks for at all is a surplus: fewer usable nodes for a moment (one restarting)
        // lowers the target for new legs, never a reason to leave a serving one.
        int asked = Math.Max(1, Math.Min(Welcome.Legs ?? 1, Welcome.MaxPoolSize));
        if (active > asked && legs.Where(l => l.Active && l != Volatile.Read(ref _primary)).MaxBy(l => l.Since) is { } surplus)
        {
            // Through a balancer a pool connection may land on a node not held yet and become a leg of its own: the
            // newest surplus leg is left like a draining one (no new streams, closed once its streams are done).
            log.Info($"holding more nodes than the {asked} asked: leaving {surplus}");
            surplus.DrainDeadline = now + SurplusGrace;
            return;
        }

        if (active >= target)
        {
            return;
        }

        NodeEndpoint? next = LegPlan.Next(KnownNodes, [.. legs.Select(l => l.Node)], _retryAt, now);
        if (next is null && now < _configuredRetryAt)
        {
            return;
        }

        string? endpoint = next?.Endpoint;
        try
        {
            var (mux, control, welcome) = await ConnectAsync(endpoint, ConnectionRole.Data, cancellationToken).ConfigureAwait(false);
            await FileAsync(mux, control, welcome, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not AgentStopException)
        {
            if (next is not null)
            {
                _retryAt[next.Node] = now + options.LegRetry;
                log.Info($"could not connect to node {next.Node} at {next.Endpoint}: {ex.Message}");
            }
            else
            {
                _configuredRetryAt = now + options.LegRetry;
                log.Info($"could not open a connection to another node: {ex.Message}");
            }
        }

        if (next is null)
        {
            // Through the configured endpoint (a balancer) the answer may come from a node already held; try again later.
            _configuredRetryAt = now + options.LegRetry;
        }
    }

    /// <summary>A draining leg is retired once another leg serves (or nothing else can), and closed when its streams
    /// are done or its deadline passed.</summary>
    private async Task RetireDrainingAsync()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (var leg in Legs().Where(l => l.Draining))
        {
            bool replaced = Legs().Any(l => l.Active);
            if (!leg.Retiring && (replaced || now >= leg.DrainDeadline))
            {
                Leg? promoted = null;
                lock (_lock)
                {
                    if (_primary == leg && _legs.FirstOrDefault(l => l.Active) is { } other)
                    {
                        _primary = promoted = other;
                    }
                }

                if (promoted is not null)
                {
                    log.Info($"rule requests now go to {promoted}");
                    await runtime.SyncRulesAsync(promoted.Control, Welcome, _stop.Token).ConfigureAwait(false);
                }

                await leg.RetireAsync().ConfigureAwait(false);
            }

            if (leg.Retiring && (leg.OpenStreams == 0 || now >= leg.DrainDeadline))
            {
                log.Info($"left draining {leg}");
                leg.Primary.Abort();
            }
        }
    }

    private async Task ResizePoolsAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (var leg in Legs())
        {
            if (await leg.CloseIdleExtrasAsync(now, options.IdleTimeout).ConfigureAwait(false) > 0)
            {
                log.Info("closed an idle data connection");
            }
        }

        int room = Welcome!.MaxPoolSize - PoolSize;
        Leg? busy = Legs().Where(l => l.Active).FirstOrDefault(l => PoolPlan.ShouldGrow(l.Load(), l.Size + room, options.StreamsPerConnection));
        if (busy is null || room <= 0 || _retryAt.TryGetValue("pool:" + busy.Node, out var at) && at > now)
        {
            return;
        }

        // A leg reached through the configured endpoint (a balancer) grows through the node's advertised endpoint when
        // it has one: through the balancer the new connection could land on another node and become a leg of its own.
        string? endpoint = busy.Endpoint ?? (_advertisedUnreachable.Contains(busy.Node) ? null
            : KnownNodes.FirstOrDefault(n => n.Node == busy.Node && n.Endpoint.Length > 0 && !n.Draining)?.Endpoint);
        try
        {
            var (mux, control, welcome) = await ConnectAsync(endpoint, ConnectionRole.Data, cancellationToken).ConfigureAwait(false);
            await FileAsync(mux, control, welcome, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not AgentStopException)
        {
            if (endpoint != busy.Endpoint)
            {
                // The advertised endpoint is not reachable from here (a balancer hides the nodes): the balancer it is.
                _advertisedUnreachable.Add(busy.Node);
            }

            _retryAt["pool:" + busy.Node] = now + options.LegRetry;
            log.Info($"could not open a data connection: {ex.Message}");
        }
    }

    private async Task KeepAliveAsync(MuxSession mux, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.KeepAliveInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await mux.PingAsync(cancellationToken).WaitAsync(options.KeepAliveTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                mux.Abort(new TimeoutException($"no ping answer within {options.KeepAliveTimeout.TotalSeconds:0} s"));
                return;
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or MuxException or ControlProtocolException
            or ObjectDisposedException or ChannelClosedException or TimeoutException)
        {
            // The session is ending; RunAsync reports why.
        }
    }
}
