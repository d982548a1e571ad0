using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Tokens;

public sealed class RegistrationEntity : EntityActor<RegistrationState, IRegistrationMessage>
{
    public const string Kind = "registration";

    public RegistrationEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, RegistrationState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new RegistrationEntity(entityId, catalog, time));

    protected override RegistrationState Apply(RegistrationState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(RegistrationState state, IRegistrationMessage message, DateTimeOffset now) =>
        state.Decide(message, now);
    protected override IWireMessage StateReply(RegistrationState state) => new RegistrationReply(state);
    protected override IWireMessage CatalogUpsert(RegistrationState state, long sequenceNr) =>
        new RegistrationUpserted(PersistenceId, sequenceNr, state);
}
