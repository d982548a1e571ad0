namespace Spokes.Actors.Entities;

/// <summary>Marker for every type that crosses the cluster port or lands in the journal; all of them are
/// bound to <see cref="Serialization.SpokesSerializer"/> and listed in its registry.</summary>
public interface IWireMessage;

/// <summary>A command or query for one sharded entity.</summary>
public interface IEntityMessage : IWireMessage
{
    string EntityId { get; }
}

/// <summary>A persisted fact. <see cref="Describe"/> is the audit line; it never contains a secret.</summary>
public interface IDomainEvent : IWireMessage
{
    DateTimeOffset At { get; }
    string By { get; }
    string Describe();
}

public enum ErrorCode
{
    Failed = 1,
    Invalid = 2,
    Unavailable = 3,
    NotFound = 4,
    Conflict = 5,
    Exhausted = 6,
    QuotaReached = 7,
    Unauthorized = 8,
}

/// <summary>The reply to a command that was refused; nothing was persisted.</summary>
public sealed record Refusal(ErrorCode Code, string Message) : IWireMessage
{
    public static Refusal NotFound(string what) => new(ErrorCode.NotFound, what + " not found");
}

/// <summary>What a state's Decide returns: the events to persist (maybe none) and the reply. A null reply
/// means "answer with the entity's state after the events".</summary>
public sealed record Decision(IReadOnlyList<IDomainEvent> Events, IWireMessage? Reply)
{
    public static Decision Refuse(ErrorCode code, string message) => new([], new Refusal(code, message));
    public static Decision Answer(IWireMessage? reply = null) => new([], reply);
    public static Decision Persist(params IDomainEvent[] events) => new(events, null);
}
