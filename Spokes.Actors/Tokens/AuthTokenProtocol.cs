using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Tokens;

public interface IAuthTokenMessage : IEntityMessage;

public static class AuthTokenIds
{
    public static string For(string value) => SecretValues.DeriveId("key", value.Trim());
}

public sealed record CreateAuthToken(string EntityId, string SealedValue, string Hostname, string? UserId, string? UserName,
    string TunnelId, string By) : IAuthTokenMessage;
public sealed record DeactivateAuthToken(string EntityId, string By) : IAuthTokenMessage;
public sealed record GetAuthToken(string EntityId) : IAuthTokenMessage;

public sealed record AuthTokenReply(AuthTokenState Token) : IWireMessage;

public sealed record AuthTokenCreated(string Id, string SealedValue, string Hostname, string? UserId, string? UserName,
    string TunnelId, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"auth token {Id} created for tunnel {TunnelId}" + (UserName is null ? "" : $" (user {UserName})");
}
public sealed record AuthTokenDeactivated(string Id, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"auth token {Id} deactivated";
}

/// <summary>An agent's key. Lifecycle: Empty → Active → Inactive (never back: a revoked key stays revoked).</summary>
public sealed record AuthTokenState : IWireMessage
{
    public static readonly AuthTokenState Empty = new();
    public string Id { get; init; } = "";
    public string SealedValue { get; init; } = "";
    public string Hostname { get; init; } = "";
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public string TunnelId { get; init; } = "";
    public bool Active { get; init; }
    public DateTimeOffset Created { get; init; }
    public bool Exists => Id.Length > 0;

    public Decision Decide(IAuthTokenMessage command, DateTimeOffset now) => command switch
    {
        CreateAuthToken when Exists => Decision.Refuse(ErrorCode.Conflict, "auth token already exists"),
        CreateAuthToken c => Decision.Persist(new AuthTokenCreated(c.EntityId, c.SealedValue, c.Hostname, c.UserId,
            c.UserName, c.TunnelId, now, c.By)),
        _ when !Exists => Decision.Refuse(ErrorCode.NotFound, "auth token not found"),
        GetAuthToken => Decision.Answer(),
        DeactivateAuthToken when !Active => Decision.Answer(),
        DeactivateAuthToken d => Decision.Persist(new AuthTokenDeactivated(Id, now, d.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public AuthTokenState Apply(IDomainEvent e) => e switch
    {
        AuthTokenCreated c => this with
        {
            Id = c.Id, SealedValue = c.SealedValue, Hostname = c.Hostname, UserId = c.UserId, UserName = c.UserName,
            TunnelId = c.TunnelId, Active = true, Created = c.At,
        },
        AuthTokenDeactivated => this with { Active = false },
        _ => this,
    };
}
