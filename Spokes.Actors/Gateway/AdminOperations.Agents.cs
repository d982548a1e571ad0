using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>How long authentication waits for the AuthToken entity before it admits from the replicated copy.</summary>
    public static readonly TimeSpan EntityAuthTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Checks an agent's key: the token must exist, match in constant time, be active, and its
    /// tunnel must not be shut down. Returns the token or a refusal (Unauthorized / Invalid for revoked).
    /// When the entities do not answer within <see cref="EntityAuthTimeout"/> (their shard is being handed over
    /// after a node loss), a key the replicated credentials know as active is admitted.</summary>
    public async Task<IWireMessage> AuthenticateAgentAsync(string key)
    {
        key = key.Trim();
        if (key.Length is < 16 or > 256) return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        var tokenId = AuthTokenIds.For(key);
        IWireMessage reply;
        try
        {
            reply = await regions.Tokens.Ask<IWireMessage>(new GetAuthToken(tokenId), EntityAuthTimeout);
        }
        catch (AskTimeoutException)
        {
            return FromReplica(tokenId, key);
        }
        if (reply is not AuthTokenReply { Token: var token } || !SecretValues.FixedTimeEquals(secrets.Open(token.SealedValue), key))
            return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        if (!token.Active) return new Refusal(ErrorCode.Invalid, "auth token was revoked by an administrator");
        try
        {
            var tunnel = await regions.Tunnels.Ask<IWireMessage>(new GetTunnel(token.TunnelId), EntityAuthTimeout);
            if (tunnel is TunnelReply { Tunnel.IsActive: false })
                return new Refusal(ErrorCode.Invalid, "the tunnel of this auth token was shut down");
        }
        catch (AskTimeoutException)
        {
            if (credentials.Find(tokenId) is { Active: false })
                return new Refusal(ErrorCode.Invalid, "the tunnel of this auth token was shut down");
        }
        credentials.Remember(tokenId, key, token.TunnelId);
        return reply;
    }

    /// <summary><c>spokes-agent deauth</c>: the agent's key deactivates its own token and shuts its tunnel down
    /// (as <c>spokes tokens rm</c> would). Idempotent: a key already revoked is answered the same way, so an agent
    /// whose first attempt lost its answer can ask again. Returns <see cref="AdminDone"/> with the token id.</summary>
    public async Task<IWireMessage> DeauthorizeAgentAsync(string key)
    {
        key = key.Trim();
        if (key.Length is < 16 or > 256) return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        var reply = await AskAsync(regions.Tokens, new GetAuthToken(AuthTokenIds.For(key)));
        if (reply is not AuthTokenReply { Token: var token } || !SecretValues.FixedTimeEquals(secrets.Open(token.SealedValue), key))
            return new Refusal(ErrorCode.Unauthorized, "auth token is not known to this server");
        await RevokeTokenAsync(token, "agent deauth");
        return new AdminDone(token.Id);
    }

    private IWireMessage FromReplica(string tokenId, string key)
    {
        if (!credentials.Admits(tokenId, key, out var known))
            return known is { Active: false }
                ? new Refusal(ErrorCode.Invalid, "auth token was revoked by an administrator")
                : new Refusal(ErrorCode.Unavailable, "the cluster is handing over after a node loss; try again in a few seconds");
        _log.Info("agent key {0} admitted from the replicated credentials (its entity did not answer in time)", tokenId);
        return new AuthTokenReply(new AuthTokenState { Id = tokenId, TunnelId = known.TunnelId, Active = true });
    }

    /// <summary>The server's current maximum pool size for agents.</summary>
    public int MaxPoolSize => options.Current.MaxPoolSize;
}
