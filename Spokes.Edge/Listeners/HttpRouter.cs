using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Acme;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// On the HTTP port: routes by the Host of the first request. The server's own name goes on to Kestrel
/// (redirect to HTTPS); a tunnel's domain is relayed as a byte stream, so keep-alive requests and WebSocket
/// upgrades flow untouched. The connection belongs to the tunnel of its first request (browsers use one
/// connection per origin). Exception: an ACME http-01 challenge whose token this node holds (a certificate
/// ordered for a name under it) is answered here, for any name, and the connection closed.
/// </summary>
public sealed class HttpRouter(PublicRelay relay, EdgeIdentity identity, AcmeChallengeStore challenges, ILogger<HttpRouter> log)
    : PeekingRouter(relay, identity, log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(15);

    private static readonly object HeadKey = new();

    protected override StreamKind Kind => StreamKind.Http;

    private protected override async ValueTask<(SniffResult Result, string? Name)> PeekNameAsync(ConnectionContext connection)
    {
        var (result, head) = await ConnectionPeek.PeekHttpHeadAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        if (head is not null) connection.Items[HeadKey] = head;
        return (result, head?.Host);
    }

    private protected override async ValueTask<bool> ServeAtEdgeAsync(ConnectionContext connection, string name)
    {
        if (connection.Items.TryGetValue(HeadKey, out var value) is false || value is not HttpRequestHead head) return false;
        if (head.Method is not ("GET" or "HEAD")) return false;
        if (challenges.AnswerFor(head.Target) is not { } answer) return false;
        log.LogInformation("acme: answering http-01 challenge for {Host} from {Remote}", name, connection.RemoteEndPoint);
        var body = Encoding.ASCII.GetBytes(answer);
        var response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n");
        var output = connection.Transport.Output;
        await output.WriteAsync(response);
        if (head.Method == "GET") await output.WriteAsync(body);
        await output.CompleteAsync();
        return true;
    }
}
