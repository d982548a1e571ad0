using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Relay;
using Spokes.Edge.Sniffing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Listeners;

/// <summary>
/// Connection middleware that reads the name a connection is for without consuming a byte: the server's
/// own name goes on to Kestrel (<c>next</c>), a tunnel's name is relayed to its agent, anything else —
/// garbage, silence past the peek timeout, an unknown name — is closed.
/// </summary>
public abstract class PeekingRouter(PublicRelay relay, EdgeIdentity identity, ILogger log)
{
    protected abstract StreamKind Kind { get; }

    /// <summary>Peeks at the connection's start; Found with the name (null: none given) or another result.</summary>
    private protected abstract ValueTask<(SniffResult Result, string? Name)> PeekNameAsync(ConnectionContext connection);

    protected virtual bool IsOwnName(string name) => string.Equals(name, identity.Domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>A last look before relaying to a tunnel: true when the edge answered the connection itself.</summary>
    private protected virtual ValueTask<bool> ServeAtEdgeAsync(ConnectionContext connection, string name) => ValueTask.FromResult(false);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        SniffResult result;
        string? name;
        try
        {
            (result, name) = await PeekNameAsync(connection);
        }
        catch (OperationCanceledException)
        {
            return; // the client went away while we waited
        }
        if (result != SniffResult.Found)
        {
            log.LogDebug("closing {Remote}: nothing routable ({Result})", connection.RemoteEndPoint, result);
            connection.Abort();
            return;
        }
        if (string.IsNullOrEmpty(name) || IsOwnName(name))
        {
            await next(connection);
            return;
        }
        if (await ServeAtEdgeAsync(connection, name)) return;
        await relay.ServeAsync(connection, Kind, name);
    }
}
