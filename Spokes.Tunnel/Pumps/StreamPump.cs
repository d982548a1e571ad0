using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Spokes.Tunnel.Pumps;

/// <summary>
/// The byte pump: relays two duplex streams both ways until both have ended, passing each end of
/// stream on as a half-close. The edge, the node-to-node link and the agent all move bytes with it.
/// Streams are not disposed: the caller owns them. They must honour cancellation tokens.
/// </summary>
public static class StreamPump
{
    /// <summary>Size of the pooled buffer a direction holds while data flows.</summary>
    public const int BufferSize = 64 * 1024;

    public static Task<PumpResult> RelayAsync(Stream a, Stream b, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        RelayAsync(a, b, new RelayOptions { IdleTimeout = idleTimeout }, cancellationToken);

    /// <summary>Relays after first writing <paramref name="prefixToB"/>, bytes already taken from <paramref name="a"/>, to <paramref name="b"/>.</summary>
    public static Task<PumpResult> RelayAsync(
        Stream a, Stream b, ReadOnlySequence<byte> prefixToB, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        RelayAsync(a, b, new RelayOptions { IdleTimeout = idleTimeout, PrefixAToB = prefixToB }, cancellationToken);

    /// <inheritdoc cref="RelayAsync(Stream, Stream, ReadOnlySequence{byte}, TimeSpan, CancellationToken)"/>
    public static Task<PumpResult> RelayAsync(
        Stream a, Stream b, ReadOnlyMemory<byte> prefixToB, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        RelayAsync(a, b, new ReadOnlySequence<byte>(prefixToB), idleTimeout, cancellationToken);

    public static async Task<PumpResult> RelayAsync(Stream a, Stream b, RelayOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(options);
        using var relay = new Relay(options, cancellationToken);
        var aToB = relay.CopyAsync(a, b, options.PrefixAToB);
        var bToA = relay.CopyAsync(b, a, ReadOnlySequence<byte>.Empty);
        var sentToB = await aToB.ConfigureAwait(false);
        var sentToA = await bToA.ConfigureAwait(false);
        return new PumpResult(relay.Status, sentToB, sentToA, relay.Error);
    }

    /// <summary>
    /// Ends the sending side of <paramref name="stream"/>: <see cref="IHalfCloseable"/>, a socket's
    /// shutdown(SEND), or TLS close_notify. Other streams have no half-close and are left as they are.
    /// </summary>
    public static async ValueTask CompleteWritesAsync(Stream stream) =>
        await TryCompleteWritesAsync(stream).ConfigureAwait(false);

    /// <summary>As <see cref="CompleteWritesAsync(Stream)"/>; false when the stream type has no half-close.</summary>
    internal static async ValueTask<bool> TryCompleteWritesAsync(Stream stream)
    {
        switch (stream)
        {
            case IHalfCloseable halfCloseable:
                await halfCloseable.CompleteWritesAsync().ConfigureAwait(false);
                return true;
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                return true;
            case SslStream ssl:
                // close_notify reads as end of stream on the far side; the TCP side stays open
                // (InnerStream is not reachable here): pass CompleteWrites for a real FIN too.
                await ssl.ShutdownAsync().ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }
}
