using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// On the HTTP port: routes by the Host of the first request. The server's own name goes on to Kestrel
/// (redirect to HTTPS); a tunnel's domain is relayed as a byte stream, so keep-alive requests and WebSocket
/// upgrades flow untouched. The connection belongs to the tunnel of its first request (browsers use one
/// connection per origin).
/// </summary>
public sealed class HttpRouter(PublicRelay relay, EdgeIdentity identity, ILogger<HttpRouter> log)
    : PeekingRouter(relay, identity, log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(15);

    protected override StreamKind Kind => StreamKind.Http;

    private protected override async ValueTask<(SniffResult Result, string? Name)> PeekNameAsync(ConnectionContext connection)
    {
        var (result, head) = await ConnectionPeek.PeekHttpHeadAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        return (result, head?.Host);
    }
}
