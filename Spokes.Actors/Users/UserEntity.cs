using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Users;

public sealed class UserEntity : EntityActor<UserState, IUserMessage>
{
    public const string Kind = "user";

    public UserEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, UserState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new UserEntity(entityId, catalog, time));

    protected override UserState Apply(UserState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(UserState state, IUserMessage message, DateTimeOffset now) => state.Decide(message, now);
    protected override IWireMessage StateReply(UserState state) => new UserReply(state);
    protected override IWireMessage CatalogUpsert(UserState state, long sequenceNr) => new UserUpserted(PersistenceId, sequenceNr, state);
}
