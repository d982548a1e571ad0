using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Http;

/// <summary>An endpoint that names no socket: Kestrel binds it through <see cref="StreamListenerFactory"/>, which
/// hands it the visitors' streams the node opened for rules the agent serves itself.</summary>
internal sealed class StreamEndPoint(string name) : EndPoint
{
    public string Name { get; } = name;

    public override string ToString() => $"tunnel:{Name}";
}

/// <summary>Kestrel's transport for <see cref="StreamEndPoint"/>s: streams are offered by name and accepted by the
/// listener bound to it.</summary>
internal sealed class StreamListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ConcurrentDictionary<string, StreamListener> _listeners = new(StringComparer.Ordinal);

    public bool CanBind(EndPoint endpoint) => endpoint is StreamEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var bound = (StreamEndPoint)endpoint;
        StreamListener? listener = null;
        listener = new StreamListener(bound, () => _listeners.TryRemove(new KeyValuePair<string, StreamListener>(bound.Name, listener!)));
        _listeners[bound.Name] = listener;
        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    /// <summary>Hands a stream to the listener of <paramref name="endpoint"/>; false when none is bound (then the
    /// caller still owns the stream).</summary>
    public bool TryOffer(string endpoint, MuxStream stream, StreamOpenHeader header) =>
        _listeners.TryGetValue(endpoint, out var listener) && listener.TryOffer(new StreamConnection(stream, header));
}

internal sealed class StreamListener(StreamEndPoint endpoint, Action unbound) : IConnectionListener
{
    private readonly Channel<ConnectionContext> _pending = Channel.CreateUnbounded<ConnectionContext>(new() { SingleReader = true });

    public EndPoint EndPoint { get; } = endpoint;

    public bool TryOffer(ConnectionContext connection) => _pending.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        unbound();
        _pending.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        while (_pending.Reader.TryRead(out var connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>One visitor's stream as a Kestrel connection; <see cref="Header"/> says which rule it is for.</summary>
internal sealed class StreamConnection : ConnectionContext, IConnectionItemsFeature, IConnectionIdFeature
{
    private static long _next;
    private readonly MuxStream _stream;

    public StreamConnection(MuxStream stream, StreamOpenHeader header)
    {
        _stream = stream;
        Header = header;
        ConnectionId = $"stream-{Interlocked.Increment(ref _next)}";
        Transport = new Duplex(stream.Input, stream.Output);
        RemoteEndPoint = IPEndPoint.TryParse(header.ClientAddress, out var visitor) ? visitor : null;
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionIdFeature>(this);
        Items[typeof(StreamOpenHeader)] = header;
    }

    public StreamOpenHeader Header { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _stream.Reset();

    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The open header of the stream behind a request.</summary>
    public static StreamOpenHeader? HeaderOf(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(typeof(StreamOpenHeader), out var header) == true
            ? header as StreamOpenHeader
            : null;

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
