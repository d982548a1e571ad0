using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Spokes.Actors.Security;
using Spokes.Edge.NodeRelay;
using Spokes.Edge.Sessions;
using Microsoft.AspNetCore.Http.Features;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>After TLS on the server's own name: ALPN <c>spokes/1</c> is an agent; anything else is HTTP for
/// the console.</summary>
public sealed class AgentAlpnMiddleware(AgentConnectionHandler agents, NodeRelayHandler peers, ClusterCredentials cluster)
{
    public static readonly System.Net.Security.SslApplicationProtocol Protocol = new(ControlProtocol.Alpn);
    public static readonly System.Net.Security.SslApplicationProtocol RelayProtocol = new(RelayHeader.Alpn);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol;
        if (alpn is { } protocol && protocol.Span.SequenceEqual(Protocol.Protocol.Span))
        {
            await agents.HandleAsync(connection);
            return;
        }
        if (alpn is { } relay && relay.Span.SequenceEqual(RelayProtocol.Protocol.Span))
        {
            // Only a peer node presenting the cluster certificate may relay.
            if (cluster.IsCluster(connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate))
                await peers.HandleAsync(connection);
            else
                connection.Abort();
            return;
        }
        await next(connection);
    }
}
