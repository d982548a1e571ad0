using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Tokens;

public interface IRegistrationMessage : IEntityMessage;

public static class RegistrationIds
{
    public static string For(string value) => SecretValues.DeriveId("registration", value.Trim());
}

/// <param name="MaxUses">How many agents it may register (null: no limit).</param>
/// <param name="Expires">From when it registers none (null: never).</param>
public sealed record CreateRegistration(string EntityId, string SealedValue, string Description, string By, int? MaxUses = null,
    DateTimeOffset? Expires = null) : IRegistrationMessage;
/// <summary>One agent registration with this token: counted by the entity, the single writer of its uses, so a limit
/// holds however many nodes register at once.</summary>
public sealed record UseRegistration(string EntityId, string By) : IRegistrationMessage;
public sealed record SetRegistrationActive(string EntityId, bool Active, string By) : IRegistrationMessage;
public sealed record SetRegistrationDescription(string EntityId, string Description, string By) : IRegistrationMessage;
public sealed record GetRegistration(string EntityId) : IRegistrationMessage;

public sealed record RegistrationReply(RegistrationState Registration) : IWireMessage;

public sealed record RegistrationCreated(string Id, string SealedValue, string Description, DateTimeOffset At, string By, int? MaxUses = null,
    DateTimeOffset? Expires = null) : IDomainEvent
{
    public string Describe() => $"registration token {Id} created ('{Description}')"
        + (MaxUses is { } uses ? $", for {uses} use{(uses == 1 ? "" : "s")}" : "")
        + (Expires is { } until ? $", until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "");
}
public sealed record RegistrationUsed(string Id, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"registration token {Id} registered an agent";
}
public sealed record RegistrationActiveChanged(string Id, bool Active, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"registration token {Id} {(Active ? "activated" : "deactivated")}";
}
public sealed record RegistrationDescriptionChanged(string Id, string Description, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"registration token {Id} described as '{Description}'";
}

/// <summary>A registration token: it can only mint auth tokens, and only while active.</summary>
public sealed record RegistrationState : IWireMessage
{
    public static readonly RegistrationState Empty = new();
    public string Id { get; init; } = "";
    public string SealedValue { get; init; } = "";
    public string Description { get; init; } = "";
    public bool Active { get; init; }
    public DateTimeOffset Created { get; init; }
    public int? MaxUses { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public int Uses { get; init; }
    public bool Exists => Id.Length > 0;

    public Decision Decide(IRegistrationMessage command, DateTimeOffset now) => command switch
    {
        CreateRegistration when Exists => Decision.Refuse(ErrorCode.Conflict, "registration token already exists"),
        CreateRegistration c => Decision.Persist(new RegistrationCreated(c.EntityId, c.SealedValue, c.Description, now, c.By, c.MaxUses, c.Expires)),
        _ when !Exists => Decision.Refuse(ErrorCode.NotFound, "registration token not found"),
        GetRegistration => Decision.Answer(),
        UseRegistration when !Active => Decision.Refuse(ErrorCode.Unauthorized, "registration token is unknown or inactive"),
        UseRegistration when Expires is { } until && now >= until =>
            Decision.Refuse(ErrorCode.Unauthorized, $"registration token expired at {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
        UseRegistration when MaxUses is { } limit && Uses >= limit =>
            Decision.Refuse(ErrorCode.Unauthorized, $"registration token is used up ({limit} use{(limit == 1 ? "" : "s")})"),
        UseRegistration u => Decision.Persist(new RegistrationUsed(Id, now, u.By)),
        SetRegistrationActive a when a.Active == Active => Decision.Answer(),
        SetRegistrationActive a => Decision.Persist(new RegistrationActiveChanged(Id, a.Active, now, a.By)),
        SetRegistrationDescription d => Decision.Persist(new RegistrationDescriptionChanged(Id, d.Description, now, d.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public RegistrationState Apply(IDomainEvent e) => e switch
    {
        RegistrationCreated c => this with
        {
            Id = c.Id, SealedValue = c.SealedValue, Description = c.Description, Active = true, Created = c.At, MaxUses = c.MaxUses,
            Expires = c.Expires,
        },
        RegistrationUsed => this with { Uses = Uses + 1 },
        RegistrationActiveChanged a => this with { Active = a.Active },
        RegistrationDescriptionChanged d => this with { Description = d.Description },
        _ => this,
    };
}
