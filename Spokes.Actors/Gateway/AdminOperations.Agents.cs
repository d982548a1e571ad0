using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>Checks an agent's key: the token must exist, match in constant time, be active, and its
    /// tunnel must not be shut down. Returns the token or a refusal (Unauthorized / Invalid for revoked).</summary>
    public async Task<IWireMessage> AuthenticateAgentAsync(string key)
    {
        key = key.Trim();
        if (key.Length is < 16 or > 256) return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        var reply = await AskAsync(regions.Tokens, new GetAuthToken(AuthTokenIds.For(key)));
        if (reply is not AuthTokenReply { Token: var token } || !SecretValues.FixedTimeEquals(secrets.Open(token.SealedValue), key))
            return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        if (!token.Active) return new Refusal(ErrorCode.Invalid, "auth token was revoked by an administrator");
        var tunnel = await AskAsync(regions.Tunnels, new GetTunnel(token.TunnelId));
        if (tunnel is TunnelReply { Tunnel.IsActive: false })
            return new Refusal(ErrorCode.Invalid, "the tunnel of this auth token was shut down");
        return reply;
    }

    /// <summary>The server's current maximum pool size for agents.</summary>
    public int MaxPoolSize => options.Current.MaxPoolSize;
}
