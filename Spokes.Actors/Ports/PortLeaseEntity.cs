using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Ports;

public sealed class PortLeaseEntity : EntityActor<PortLeaseState, IPortLeaseMessage>
{
    public const string Kind = "port";

    public PortLeaseEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, PortLeaseState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new PortLeaseEntity(entityId, catalog, time));

    protected override PortLeaseState Apply(PortLeaseState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(PortLeaseState state, IPortLeaseMessage message, DateTimeOffset now) =>
        state.Decide(message, now);
    protected override IWireMessage StateReply(PortLeaseState state) => new PortLeaseReply(state);
    protected override IWireMessage CatalogUpsert(PortLeaseState state, long sequenceNr) =>
        new PortUpserted(PersistenceId, sequenceNr, state);
}
