using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Tokens;

public interface IApiKeyMessage : IEntityMessage;

/// <summary>What an API key may do on <c>/api/v1</c> and <c>/metrics</c>: read only, or everything an administrator can.</summary>
public enum ApiKeyScope
{
    Read,
    Admin,
}

public static class ApiKeyIds
{
    /// <summary>Every key starts with this, so a leaked one is recognisable (secret scanners, logs).</summary>
    public const string Prefix = "spk_";

    public static string For(string value) => SecretValues.DeriveId("apikey", value.Trim());

    public static string NewValue() => Prefix + SecretValues.NewToken();
}

public sealed record CreateApiKey(string EntityId, string SealedValue, ApiKeyScope Scope, string Description, string By) : IApiKeyMessage;
public sealed record RevokeApiKey(string EntityId, string By) : IApiKeyMessage;
public sealed record GetApiKey(string EntityId) : IApiKeyMessage;
/// <summary>The reads one node served with the key over a period, summed (docs/reliability.md): what, how often, from where.</summary>
public sealed record RecordApiKeyUse(string EntityId, int Count, string Requests, string From, DateTimeOffset First, DateTimeOffset Last, string By)
    : IApiKeyMessage;

public sealed record ApiKeyReply(ApiKeyState Key) : IWireMessage;

public sealed record ApiKeyCreated(string Id, string SealedValue, ApiKeyScope Scope, string Description, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"API key {Id} created ({Scope.ToString().ToLowerInvariant()}, '{Description}')";
}
public sealed record ApiKeyRevoked(string Id, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"API key {Id} revoked";
}
public sealed record ApiKeyUsed(string Id, int Count, string Requests, string From, DateTimeOffset First, DateTimeOffset Last, DateTimeOffset At,
    string By) : IDomainEvent
{
    public string Describe() =>
        $"API key {Id} read {Count} time{(Count == 1 ? "" : "s")} {First:HH:mm:ss}–{Last:HH:mm:ss} UTC from {From}: {Requests}";
}

/// <summary>An API key for the admin REST API and <c>/metrics</c>; its value is sealed, shown once at creation.</summary>
public sealed record ApiKeyState : IWireMessage
{
    public static readonly ApiKeyState Empty = new();
    public string Id { get; init; } = "";
    public string SealedValue { get; init; } = "";
    public ApiKeyScope Scope { get; init; }
    public string Description { get; init; } = "";
    public bool Active { get; init; }
    public DateTimeOffset Created { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset? LastUsed { get; init; }
    public bool Exists => Id.Length > 0;

    public Decision Decide(IApiKeyMessage command, DateTimeOffset now) => command switch
    {
        CreateApiKey when Exists => Decision.Refuse(ErrorCode.Conflict, "API key already exists"),
        CreateApiKey c => Decision.Persist(new ApiKeyCreated(c.EntityId, c.SealedValue, c.Scope, c.Description, now, c.By)),
        _ when !Exists => Decision.Refuse(ErrorCode.NotFound, "API key not found"),
        GetApiKey => Decision.Answer(),
        RevokeApiKey when !Active => Decision.Answer(),
        RevokeApiKey r => Decision.Persist(new ApiKeyRevoked(Id, now, r.By)),
        RecordApiKeyUse { Count: <= 0 } => Decision.Answer(),
        RecordApiKeyUse u => Decision.Persist(new ApiKeyUsed(Id, u.Count, u.Requests, u.From, u.First, u.Last, now, u.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public ApiKeyState Apply(IDomainEvent e) => e switch
    {
        ApiKeyCreated c => this with
        {
            Id = c.Id, SealedValue = c.SealedValue, Scope = c.Scope, Description = c.Description, Active = true, Created = c.At, CreatedBy = c.By,
        },
        ApiKeyRevoked => this with { Active = false },
        ApiKeyUsed u => this with { LastUsed = u.Last },
        _ => this,
    };
}
