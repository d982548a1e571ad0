using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Socks;

/// <summary>
/// Streams an agent opens for its port maps (<c>spokes-agent map</c>, docs/protocol.md "Port maps"): each names its
/// destination in a <see cref="MapOpenHeader"/> and goes where a SOCKS CONNECT of the agent's own tunnel would, under
/// the same policy — no SOCKS port needs to be open. The node answers with one byte, the SOCKS reply code, then relays.
/// </summary>
public sealed class MeshStreams(SocksConnector connector, IHostApplicationLifetime lifetime, ILogger<MeshStreams> log)
{
    /// <summary>Takes the streams the agent opens on <paramref name="mux"/> (a connection of tunnel
    /// <paramref name="tunnelId"/>'s session) until it closes.</summary>
    public async Task AcceptAsync(MuxSession mux, string tunnelId, EndPoint? agent, CancellationToken closed)
    {
        try
        {
            while (await mux.AcceptStreamAsync(closed) is { } stream)
                _ = ServeAsync(stream, tunnelId, agent);
        }
        catch (OperationCanceledException)
        {
            // The connection closed.
        }
    }

    private async Task ServeAsync(MuxStream stream, string tunnelId, EndPoint? agent)
    {
        if (MapOpenHeader.TryDecode(stream.Header.Span) is not { } header || Parse(header.To) is not { } request)
        {
            stream.Reset();
            await stream.DisposeAsync();
            return;
        }
        var connection = PipeConnection.Over(stream, agent);
        try
        {
            // A refusal is the one byte and the end of the stream (the connection's disposal completes it).
            await connector.ConnectAsync(connection, tunnelId, request,
                async (reply, _) => await stream.Output.WriteAsync(new[] { (byte)reply }), lifetime.ApplicationStopping);
        }
        catch (Exception ex) when (ex is IOException or MuxException or OperationCanceledException or ObjectDisposedException
                                       or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            log.LogDebug("map stream of tunnel {Tunnel} to {To} ended: {Reason}", tunnelId, header.To, ex.Message);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary><c>host:port</c> as a CONNECT request, or null when it is not one.</summary>
    internal static SocksRequest? Parse(string to)
    {
        var colon = to.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(to.AsSpan(colon + 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535) return null;
        var host = to[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (IPAddress.TryParse(host, out var address)) return new SocksRequest(SocksRequest.Connect, null, address, port);
        return host.Length <= 253 && Uri.CheckHostName(host) == UriHostNameType.Dns ? new SocksRequest(SocksRequest.Connect, host, null, port) : null;
    }
}
