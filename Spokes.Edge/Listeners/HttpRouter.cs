using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// On the HTTP port: routes by the Host of the first request. The server's own name goes on to Kestrel
/// (redirect to HTTPS); a tunnel's domain is relayed as a byte stream, so keep-alive requests and WebSocket
/// upgrades flow untouched. The connection belongs to the tunnel of its first request (browsers use one
/// connection per origin). Exception: an ACME http-01 challenge whose token this node holds (a certificate
/// ordered for a name under it) is answered here, for any name, and the connection closed; so is a request for a
/// domain whose rule has <c>--redirect</c> (301 to the same URL over HTTPS), once the rule's firewall lists admit
/// the visitor.
/// </summary>
public sealed class HttpRouter(PublicRelay relay, EdgeIdentity identity, AcmeChallengeStore challenges, RouteTableSource routes,
    ILogger<HttpRouter> log) : PeekingRouter(relay, identity, log)
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
        if (head.Method is "GET" or "HEAD" && challenges.AnswerFor(head.Target) is { } answer)
            return await AnswerChallengeAsync(connection, name, head, answer);
        var table = routes.Current;
        if (!table.HttpRules.TryGetValue(name, out var rule) || !rule.Redirect) return false;
        // An agent obtaining the rule's certificate answers its own http-01 challenges: those go through, not to HTTPS.
        if (rule.LetsEncrypt && AcmeChallengeStore.TokenOf(PathOf(head.Target)) is not null) return false;
        if (!table.Admits(name, null, (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address))
        {
            connection.Abort();
            return true;
        }
        var location = $"https://{name.ToLowerInvariant()}{PathOf(head.Target)}";
        var redirect = Encoding.ASCII.GetBytes($"HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n" +
                                               "Connection: close\r\nCache-Control: no-store\r\n\r\n");
        await connection.Transport.Output.WriteAsync(redirect);
        await connection.Transport.Output.CompleteAsync();
        return true;
    }

    /// <summary>The path and query of a request target (origin form, or the path of an absolute form); "/" otherwise.</summary>
    internal static string PathOf(string target)
    {
        if (target.StartsWith('/')) return target;
        if (Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri.PathAndQuery;
        return "/";
    }

    private async ValueTask<bool> AnswerChallengeAsync(ConnectionContext connection, string name, HttpRequestHead head, string answer)
    {
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
