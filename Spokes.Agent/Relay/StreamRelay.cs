using System.Net.Sockets;
using Spokes.Agent.Config;
using Spokes.Agent.Session;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Relay;

/// <summary>
/// Serves the streams the node opens on one pool connection: each is relayed to its rule's local
/// destination (raw bytes: http as is, tls passed through untouched, tcp as is) with half-close — or, for a rule
/// with options the agent enforces (auth, webroot, Host header, its own certificate), handed to the agent's HTTP stack.
/// </summary>
internal sealed class StreamRelay(Func<AgentConfig> rules, Http.StreamListenerFactory sites, AgentLog log)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs until the connection closes.</summary>
    public async Task ServeAsync(MuxSession mux, CancellationToken cancellationToken)
    {
        try
        {
            while (await mux.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is { } stream)
            {
                _ = RelayAsync(stream, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RelayAsync(MuxStream stream, CancellationToken cancellationToken)
    {
        bool handedOver = false;
        try
        {
            StreamOpenHeader header;
            try
            {
                header = StreamOpenHeader.Decode(stream.Header.Span);
            }
            catch (ControlProtocolException ex)
            {
                log.Info($"stream {stream.Id} reset: {ex.Message}");
                stream.Reset();
                return;
            }

            if (RouteTable.Resolve(rules(), header) is not { } route)
            {
                log.Info($"stream for {Describe(header)} reset: no rule for it");
                stream.Reset();
                return;
            }

            if (route.Site is { } site)
            {
                // Once taken, the agent's HTTP stack owns the stream (it closes it with the visitor's connection).
                handedOver = sites.TryOffer(site, stream, header);
                if (!handedOver)
                {
                    stream.Reset();
                }

                return;
            }

            var (host, port) = (route.Host!, route.Port);
            Socket? socket = await ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            if (socket is null)
            {
                log.Info($"stream for {Describe(header)} reset: cannot reach {host}:{port}");
                stream.Reset();
                return;
            }

            await using var connection = new NetworkStream(socket, ownsSocket: true);
            await BytePump.RelayAsync(stream, connection, () => socket.Shutdown(SocketShutdown.Send), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            stream.Reset();
        }
        finally
        {
            if (!handedOver)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<Socket?> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    private static string Describe(StreamOpenHeader header) =>
        header.Kind == StreamKind.Tcp ? $"tcp port {header.Port}" : $"{header.Kind.ToString().ToLowerInvariant()} {header.Domain}";
}
