using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// Connection middleware on the HTTP port: reads the first request head without consuming it and routes by
/// Host. The server's own name goes on to Kestrel (redirect to HTTPS, ACME challenges); a tunnel's domain is
/// relayed as a byte stream, so keep-alive requests and WebSocket upgrades flow untouched. The connection
/// belongs to the tunnel of its first request (browsers use one connection per origin).
/// </summary>
public sealed class HttpRouter(PublicRelay relay, EdgeIdentity identity, ILogger<HttpRouter> log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(15);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        SniffResult result;
        HttpRequestHead? head;
        try
        {
            (result, head) = await ConnectionPeek.PeekHttpHeadAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        }
        catch (OperationCanceledException)
        {
            return; // the client went away while we waited
        }
        if (result != SniffResult.Found || head is null)
        {
            log.LogDebug("closing {Remote}: no HTTP request head ({Result})", connection.RemoteEndPoint, result);
            connection.Abort();
            return;
        }
        var host = head.Host;
        if (string.IsNullOrEmpty(host) || string.Equals(host, identity.Domain, StringComparison.OrdinalIgnoreCase))
        {
            await next(connection);
            return;
        }
        await relay.ServeAsync(connection, StreamKind.Http, host);
    }
}
