using System.Buffers;
using System.IO.Pipelines;

namespace Spokes.Edge.Sniffing;

/// <summary>A stateless sniffer: <see cref="ClientHelloParser.TryParse"/> or <see cref="HttpHeadParser.TryParse"/>.</summary>
internal delegate SniffResult SniffParser<T>(in ReadOnlySequence<byte> buffer, out T? value) where T : class;

/// <summary>
/// Peeks at the start of a connection for connection middleware. Leaves every byte in the pipe
/// (<c>AdvanceTo(buffer.Start)</c> at the end, see shared/STACK.md) so the next reader — Kestrel's
/// TLS handshake, HTTP parser or a relay — sees the connection from its first byte.
/// </summary>
internal static class ConnectionPeek
{
    /// <summary>Waits for a ClientHello. <see cref="SniffResult.NotEnoughData"/> means the timeout elapsed first;
    /// a client that ends its side before a complete hello is <see cref="SniffResult.NotMine"/>.</summary>
    public static ValueTask<(SniffResult Result, ClientHelloInfo? Hello)> PeekClientHelloAsync(
        PipeReader input, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null) =>
        PeekAsync<ClientHelloInfo>(input, ClientHelloParser.TryParse, timeout, time, cancellationToken);

    /// <summary>Waits for an HTTP/1.x request head; results as for <see cref="PeekClientHelloAsync"/>.</summary>
    public static ValueTask<(SniffResult Result, HttpRequestHead? Head)> PeekHttpHeadAsync(
        PipeReader input, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null) =>
        PeekAsync<HttpRequestHead>(input, HttpHeadParser.TryParse, timeout, time, cancellationToken);

    /// <summary>Runs <paramref name="parser"/> on each new view of the input until it decides or time runs out.
    /// Throws <see cref="OperationCanceledException"/> only for <paramref name="cancellationToken"/>.</summary>
    public static async ValueTask<(SniffResult Result, T? Value)> PeekAsync<T>(
        PipeReader input, SniffParser<T> parser, TimeSpan timeout, TimeProvider? time, CancellationToken cancellationToken)
        where T : class
    {
        // The peek has its own deadline: Kestrel's handshake timeout only starts inside UseHttps.
        using var deadline = new CancellationTokenSource(timeout, time ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (SniffResult.NotEnoughData, null);
            }

            var buffer = read.Buffer;
            var result = parser(buffer, out var value);
            if (result == SniffResult.NotEnoughData && !read.IsCompleted && !read.IsCanceled)
            {
                // Everything seen so far is examined: the next ReadAsync waits for new bytes.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            // Not (Start, End): a complete message must stay readable for the next reader.
            input.AdvanceTo(buffer.Start);
            if (result == SniffResult.NotEnoughData && read.IsCompleted) return (SniffResult.NotMine, null);
            return (result, value);
        }
    }
}
