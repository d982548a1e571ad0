using Akka.Actor;
using Spokes.Actors.Ports;

namespace Spokes.Tests.Actors.Ports;

/// <summary>Stands in for the PortLease shard region: one child <see cref="PortLeaseEntity"/> per entity id,
/// created on first message, sender preserved.</summary>
internal sealed class PortLeaseShard : ReceiveActor
{
    public PortLeaseShard(IActorRef catalog, TimeProvider time)
    {
        Receive<IPortLeaseMessage>(m =>
        {
            var child = Context.Child(m.EntityId);
            if (child.IsNobody()) child = Context.ActorOf(PortLeaseEntity.Props(m.EntityId, catalog, time), m.EntityId);
            child.Forward(m);
        });
    }

    public static Props Props(IActorRef catalog, TimeProvider time) => Akka.Actor.Props.Create(() => new PortLeaseShard(catalog, time));
}
