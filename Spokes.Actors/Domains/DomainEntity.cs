using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Domains;

public sealed class DomainEntity : EntityActor<DomainState, IDomainMessage>
{
    public const string Kind = "domain";

    public DomainEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, DomainState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new DomainEntity(entityId, catalog, time));

    protected override DomainState Apply(DomainState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(DomainState state, IDomainMessage message, DateTimeOffset now) => state.Decide(message, now);
    protected override IWireMessage StateReply(DomainState state) => new DomainReply(state);
    protected override IWireMessage CatalogUpsert(DomainState state, long sequenceNr) => new DomainUpserted(PersistenceId, sequenceNr, state);
}
