using System.Collections.Immutable;
using Akka.Actor;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Access;

public interface IConsoleKeysMessage : IEntityMessage;

/// <summary>One ASP.NET Core data-protection key of the console (its XML, sealed with the cluster's key).</summary>
public sealed record ConsoleKey(string FriendlyName, string SealedXml, DateTimeOffset Added);

/// <summary>Adds a key if the ring still has <paramref name="ExpectedCount"/> keys: two nodes creating one at the same
/// moment cannot both succeed (the loser reads the winner's).</summary>
public sealed record AddConsoleKey(string EntityId, int ExpectedCount, string FriendlyName, string SealedXml, string By) : IConsoleKeysMessage;
public sealed record GetConsoleKeys(string EntityId) : IConsoleKeysMessage;
public sealed record ConsoleKeysReply(ImmutableList<ConsoleKey> Keys) : IWireMessage;

public sealed record ConsoleKeyAdded(string FriendlyName, string SealedXml, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"console data-protection key {FriendlyName} added";
}

/// <summary>The console's key ring, shared by every node so that a session, an antiforgery token or a circuit made
/// on one node is good on all. Keys are only ever added (expired ones stay, so old cookies still decrypt to be
/// refused properly).</summary>
public sealed record ConsoleKeysState : IWireMessage
{
    public static readonly ConsoleKeysState Empty = new();
    public ImmutableList<ConsoleKey> Keys { get; init; } = [];

    public Decision Decide(IConsoleKeysMessage command, DateTimeOffset now) => command switch
    {
        GetConsoleKeys => Decision.Answer(),
        AddConsoleKey a when a.ExpectedCount != Keys.Count =>
            Decision.Refuse(ErrorCode.Conflict, "another node added a console key first"),
        AddConsoleKey a => Decision.Persist(new ConsoleKeyAdded(a.FriendlyName, a.SealedXml, now, a.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public ConsoleKeysState Apply(IDomainEvent e) => e switch
    {
        ConsoleKeyAdded a => this with { Keys = Keys.Add(new ConsoleKey(a.FriendlyName, a.SealedXml, a.At)) },
        _ => this,
    };
}

public sealed class ConsoleKeysEntity : EntityActor<ConsoleKeysState, IConsoleKeysMessage>
{
    public const string Kind = "console";
    public const string RingId = "keys";

    public ConsoleKeysEntity(string entityId, TimeProvider time) : base(Kind, entityId, ConsoleKeysState.Empty, ActorRefs.Nobody, time) { }

    public static Props Props(string entityId, TimeProvider time) => Akka.Actor.Props.Create(() => new ConsoleKeysEntity(entityId, time));

    protected override ConsoleKeysState Apply(ConsoleKeysState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(ConsoleKeysState state, IConsoleKeysMessage message, DateTimeOffset now) => state.Decide(message, now);
    protected override IWireMessage StateReply(ConsoleKeysState state) => new ConsoleKeysReply(state.Keys);
    protected override IWireMessage CatalogUpsert(ConsoleKeysState state, long sequenceNr) => new ConsoleKeysReply(state.Keys);
}
