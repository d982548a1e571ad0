using System.Threading.Channels;
using Spokes.Agent.Relay;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Session;

/// <summary>
/// One live Session: the first pool connection with the control channel (stream 1), the streams
/// the node opens, the pool of further data connections and the keepalive. It ends when the
/// control connection ends; <see cref="RunAsync"/> then returns the reason.
/// </summary>
internal sealed class ActiveSession(AgentRuntime runtime, NodeDialer dialer, AgentLog log, AgentOptions options, TimeProvider time)
    : IAsyncDisposable
{
    private readonly Channel<ControlRequest> _pushed = Channel.CreateUnbounded<ControlRequest>(new() { SingleReader = true });
    private MuxSession? _mux;
    private ConnectionPool? _pool;

    public ControlChannel? Control { get; private set; }

    public Welcome? Welcome { get; private set; }

    public DateTimeOffset Since { get; private set; }

    public int PoolSize => _pool?.Size ?? 1;

    public int OpenStreams => _pool?.OpenStreams ?? 0;

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        _mux = await dialer.DialAsync(cancellationToken).ConfigureAwait(false);
        Control = new ControlChannel(await _mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false));
        Welcome = await HelloAsync(Control, cancellationToken).ConfigureAwait(false);
        Since = time.GetUtcNow();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var relay = new StreamRelay(() => runtime.Config, log);
        _pool = new ConnectionPool(dialer, runtime.NewHello, Welcome, _mux, relay, log, options, time);
        runtime.OnConnected(this);
        Task[] background =
        [
            relay.ServeAsync(_mux, stop.Token),
            Quietly(_pool.RunAsync(stop.Token)),
            Quietly(KeepAliveAsync(_mux, stop.Token)),
            Quietly(HandlePushedAsync(Control, stop.Token)),
            Quietly(runtime.SyncRulesAsync(Control, stop.Token)),
        ];
        try
        {
            return await ReceiveAsync(Control, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            runtime.OnDisconnected(this);
            await stop.CancelAsync().ConfigureAwait(false);
            _mux.Abort();
            await Task.WhenAll(background).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }

        if (_mux is not null)
        {
            await _mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<Welcome> HelloAsync(ControlChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            return await channel.HelloAsync(runtime.NewHello(ConnectionRole.Control), ControlProtocol.HandshakeTimeout, cancellationToken)
                .ConfigureAwait(false);
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

    /// <summary>The control loop: returns why the session ended, or throws <see cref="AgentStopException"/> on shutdown.</summary>
    private async Task<string> ReceiveAsync(ControlChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                switch (message)
                {
                    case Shutdown shutdown:
                        throw new AgentStopException($"tunnel shut down by the server: {shutdown.Reason}");
                    case KeepAlivePing ping:
                        await channel.SendAsync(new KeepAlivePong { Nonce = ping.Nonce }, cancellationToken).ConfigureAwait(false);
                        break;
                    case ControlRequest request:
                        _pushed.Writer.TryWrite(request);
                        break;
                }
            }

            return "the node closed the control channel";
        }
        catch (Exception ex) when (ex is IOException or MuxException or ControlProtocolException or ObjectDisposedException)
        {
            return _mux?.CloseReason?.Message ?? ex.Message;
        }
    }

    /// <summary>Rules pushed by the node, applied one at a time in the order they came.</summary>
    private async Task HandlePushedAsync(ControlChannel channel, CancellationToken cancellationToken)
    {
        await foreach (var request in _pushed.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            string? error = await runtime.ApplyPushedAsync(request).ConfigureAwait(false);
            if (error is null)
            {
                await channel.ReplyOkAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await channel.ReplyErrorAsync(request, error, cancellationToken).ConfigureAwait(false);
            }
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
            or ObjectDisposedException or ChannelClosedException)
        {
            // The session is ending; RunAsync reports why.
        }
    }
}
