using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Security;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// On the HTTPS port, before TLS: routes by the ClientHello's SNI. The server's own name (or none), and the
/// cluster's name used by peer nodes, go on to Kestrel's TLS (console, agents, relay links); a tunnel's
/// name is relayed raw to its agent, so the visitor sees the service's own certificate.
/// </summary>
public sealed class HttpsRouter(PublicRelay relay, EdgeIdentity identity, ILogger<HttpsRouter> log)
    : PeekingRouter(relay, identity, log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(10);

    protected override StreamKind Kind => StreamKind.Tls;

    private protected override async ValueTask<(SniffResult Result, string? Name)> PeekNameAsync(ConnectionContext connection)
    {
        var (result, hello) = await ConnectionPeek.PeekClientHelloAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        return (result, hello?.ServerName);
    }

    protected override bool IsOwnName(string name) => base.IsOwnName(name) || name == ClusterCredentials.ServerName;
}
