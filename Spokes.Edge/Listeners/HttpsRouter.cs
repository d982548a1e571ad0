using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// Connection middleware on the HTTPS port, before TLS: reads the ClientHello without consuming it. The
/// server's own name (or none) goes on to Kestrel's TLS (console, agents); a tunnel's name is relayed raw
/// to its agent, so the visitor sees the service's own certificate; anything else is closed.
/// </summary>
public sealed class HttpsRouter(PublicRelay relay, EdgeIdentity identity, ILogger<HttpsRouter> log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(10);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        SniffResult result;
        ClientHelloInfo? hello;
        try
        {
            (result, hello) = await ConnectionPeek.PeekClientHelloAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        }
        catch (OperationCanceledException)
        {
            return; // the client went away while we waited
        }
        if (result != SniffResult.Found || hello is null)
        {
            log.LogDebug("closing {Remote}: no TLS ClientHello ({Result})", connection.RemoteEndPoint, result);
            connection.Abort();
            return;
        }
        var name = hello.ServerName;
        if (string.IsNullOrEmpty(name) || string.Equals(name, identity.Domain, StringComparison.OrdinalIgnoreCase)
            || name == Spokes.Actors.Security.ClusterCredentials.ServerName)
        {
            await next(connection);
            return;
        }
        await relay.ServeAsync(connection, StreamKind.Tls, name);
    }
}
