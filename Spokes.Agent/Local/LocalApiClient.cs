using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Spokes.Agent.Config;

namespace Spokes.Agent.Local;

/// <summary>Rule commands reach a running agent through its Unix socket.</summary>
internal static class LocalApiClient
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The agent's answer, or null when no agent listens on the socket.</summary>
    public static async Task<LocalResponse?> TrySendAsync(string socketPath, LocalRequest request, CancellationToken cancellationToken = default)
    {
        using Socket? socket = await TryConnectAsync(socketPath, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(request, AgentJsonContext.Default.LocalRequest), (byte)'\n'];
        await stream.WriteAsync(line, timeout.Token).ConfigureAwait(false);
        string? reply = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        return reply is null
            ? LocalResponse.Fail(LocalFailures.Unreachable, "the running agent closed the local API connection")
            : JsonSerializer.Deserialize(reply, AgentJsonContext.Default.LocalResponse);
    }

    public static async Task<bool> IsListeningAsync(string socketPath)
    {
        using Socket? socket = await TryConnectAsync(socketPath, CancellationToken.None).ConfigureAwait(false);
        return socket is not null;
    }

    private static async Task<Socket?> TryConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath))
        {
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null; // stale socket file: no agent behind it
        }
    }
}
