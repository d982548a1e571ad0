using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>Longest agent id (<c>spokes-agent configure --id</c>): it names the tunnel user.</summary>
    public const int MaxAgentId = 64;

    /// <summary>Largest use limit of a registration token.</summary>
    public const int MaxRegistrationUses = 1_000_000;

    /// <summary>The refusal of a description that is too long or holds control characters; null when it is fine.</summary>
    private static Refusal? BadDescription(string description) =>
        description.Trim().Length > MaxDescription
            ? new Refusal(ErrorCode.Invalid, $"the description is longer than {MaxDescription} characters")
            : description.Any(char.IsControl) ? new Refusal(ErrorCode.Invalid, "the description holds control characters") : null;

    private async Task<IWireMessage> CreateRegistrationAsync(CreateRegistrationRequest r, string by)
    {
        if (BadDescription(r.Description) is { } bad) return bad;
        if (r.MaxUses is < 1 or > MaxRegistrationUses)
            return new Refusal(ErrorCode.Invalid, $"the use limit must be between 1 and {MaxRegistrationUses}");
        if (r.Expires is { } until && until <= Now) return new Refusal(ErrorCode.Invalid, "the expiry is not in the future");
        var value = SecretValues.NewToken();
        var id = RegistrationIds.For(value);
        var reply = await AskAsync(regions.Registrations,
            new CreateRegistration(id, secrets.Seal(value), r.Description.Trim(), by, r.MaxUses, r.Expires));
        return reply is Refusal ? reply : new AdminSecretCreated(id, value);
    }

    private async Task<IWireMessage> ListRegistrationsAsync()
    {
        return new RegistrationsReply((await CatalogRegistrationsAsync())
            .Select(t => new RegistrationDto(t.Id, t.Created, t.Description, secrets.Open(t.SealedValue), t.Active, t.Uses, t.MaxUses, t.Expires))
            .ToImmutableList());
    }

    private async Task<IWireMessage> RemoveRegistrationAsync(RemoveRegistrationRequest r, string by)
    {
        var ids = r.All
            ? (await CatalogRegistrationsAsync())
                .Where(t => t.Active).Select(t => t.Id).ToList()
            : [r.Id!.Trim().ToLowerInvariant()];
        foreach (var id in ids)
            await AskForAsync<RegistrationReply>(regions.Registrations, new SetRegistrationActive(id, false, by));
        return new AdminCount(ids.Count);
    }

    /// <summary>Mints an auth token and its tunnel. Used by <c>token create</c> and by agents registering
    /// with a registration token (then with the user named by the agent's <c>--id</c>).</summary>
    public async Task<IWireMessage> CreateTokenAsync(string hostname, string? userId, string? userName, string by)
    {
        hostname = hostname.Trim().ToLowerInvariant();
        if (hostname.Length > 253) return new Refusal(ErrorCode.Invalid, "hostname is too long");
        if (hostname.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            return new Refusal(ErrorCode.Invalid, "hostname holds spaces or control characters");
        var value = SecretValues.NewToken();
        var tokenId = AuthTokenIds.For(value);
        var tunnelId = TunnelIds.ForToken(tokenId);
        await AskForAsync<AuthTokenReply>(regions.Tokens,
            new CreateAuthToken(tokenId, secrets.Seal(value), hostname, userId, userName, tunnelId, by));
        await AskForAsync<TunnelReply>(regions.Tunnels, new CreateTunnel(tunnelId, tokenId, userId, userName, hostname, by));
        return new AdminSecretCreated(tokenId, value);
    }

    /// <summary>What an agent's <c>configure --registration</c> does: checks the registration token,
    /// ensures the tunnel user for <paramref name="agentId"/>, and mints an auth token.</summary>
    public async Task<IWireMessage> RegisterAgentAsync(string registrationValue, string? agentId, string? hostname)
    {
        var registration = await AskAsync(regions.Registrations, new GetRegistration(RegistrationIds.For(registrationValue)));
        if (registration is not RegistrationReply { Registration: { Active: true } reg }
            || !SecretValues.FixedTimeEquals(secrets.Open(reg.SealedValue), registrationValue.Trim()))
            return new Refusal(ErrorCode.Unauthorized, "registration token is unknown or inactive");
        string? userId = null, userName = null;
        var named = !string.IsNullOrWhiteSpace(agentId);
        // An agent id names a tunnel user; e-mail addresses are administrators' (an agent taking one would block
        // `users add` for it), and what is printed in listings must not carry terminal controls.
        if (named && (agentId!.Trim().Length > MaxAgentId || agentId.Contains('@') || agentId.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
            return new Refusal(ErrorCode.Invalid,
                $"agent id '{new string(agentId.Where(c => !char.IsControl(c)).Take(MaxAgentId).ToArray())}' is not an id: at most {MaxAgentId} characters, no '@', spaces or control characters");
        // A user already at its tunnel quota is refused before the registration token's use is counted.
        if (named && await AskAsync(regions.Users, new GetUser(UserIds.For(UserIds.Normalize(agentId!)))) is UserReply { User.Exists: true } known
            && await TunnelQuotaAsync(known.User) is { } full)
            return full;
        // The entity counts the use (and refuses an expired or used-up token) before anything is minted.
        if (await AskAsync(regions.Registrations, new UseRegistration(reg.Id, named ? "agent " + agentId!.Trim() : "agent")) is Refusal spent)
            return new Refusal(ErrorCode.Unauthorized, spent.Message);
        if (named)
        {
            userName = UserIds.Normalize(agentId!);
            userId = UserIds.For(userName);
            var user = await AskForAsync<UserReply>(regions.Users, new EnsureTunnelUser(userId, userName, "registration " + reg.Id));
            if (user.User.Exists && user.User.IsAdmin)
                return new Refusal(ErrorCode.Conflict, $"id '{agentId}' belongs to an administrator");
        }
        return await CreateTokenAsync(hostname ?? "", userId, userName, "registration " + reg.Id);
    }

    private async Task<IWireMessage> ListTokensAsync()
    {
        return new TokensReply((await CatalogTokensAsync())
            .Select(t => new TokenDto(t.Id, t.Created, t.UserName ?? "", t.TunnelId, t.Hostname, secrets.Open(t.SealedValue), t.Active))
            .ToImmutableList());
    }

    private async Task<IWireMessage> RemoveTokenAsync(RemoveTokenRequest r, string by)
    {
        var tokens = (await CatalogTokensAsync());
        List<AuthTokenState> targets;
        if (r.All)
        {
            targets = tokens.Where(t => t.Active).ToList();
        }
        else
        {
            var id = r.Id!.Trim().ToLowerInvariant();
            var reply = await AskAsync(regions.Tokens, new GetAuthToken(id));
            if (reply is not AuthTokenReply found) return new Refusal(ErrorCode.NotFound, $"auth token {id} not found");
            targets = [found.Token];
        }
        foreach (var token in targets)
            await RevokeTokenAsync(token, by);
        return new AdminCount(targets.Count);
    }

    /// <summary>Deactivates the token, then shuts its tunnel down (which frees its ports). A crash between
    /// the steps leaves a tunnel that <c>clean</c> shuts down.</summary>
    private async Task RevokeTokenAsync(AuthTokenState token, string by)
    {
        await AskForAsync<AuthTokenReply>(regions.Tokens, new DeactivateAuthToken(token.Id, by));
        await credentials.ForgetAsync(token.Id);
        await ShutdownTunnelAsync(token.TunnelId, "auth token deactivated", by);
    }
}
