using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Spokes.Edge.Sessions;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>After TLS on the server's own name: ALPN <c>spokes/1</c> is an agent; anything else is HTTP for
/// the console.</summary>
public sealed class AgentAlpnMiddleware(AgentConnectionHandler agents)
{
    public static readonly System.Net.Security.SslApplicationProtocol Protocol = new(ControlProtocol.Alpn);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol;
        if (alpn is { } protocol && protocol.Span.SequenceEqual(Protocol.Protocol.Span))
        {
            await agents.HandleAsync(connection);
            return;
        }
        await next(connection);
    }
}
