using Akka.Actor;
using Akka.DistributedData;
using Spokes.Actors.Nodes;

namespace Spokes.Actors.Store;

/// <summary>One per node: follows <see cref="ClusterLeaseKeeper.StatusKey"/>. Held: the node may serve
/// (<see cref="NodeReadiness.LeaseHeld"/>). Refused: the cluster is an island on another cluster's store; the
/// node stops with the keeper's one-line reason.</summary>
public sealed class ClusterLeaseWatcher : ReceiveActor
{
    public ClusterLeaseWatcher(NodeReadiness readiness, NodeExit exit)
    {
        Receive<Changed>(c =>
        {
            var status = c.Get(ClusterLeaseKeeper.StatusKey).Value ?? "";
            if (status.StartsWith("held|", StringComparison.Ordinal)) readiness.SetLeaseHeld(true);
            else if (status.StartsWith("refused|", StringComparison.Ordinal)) exit.Request(1, "cannot start: " + status["refused|".Length..]);
        });
    }

    public static Props Props(NodeReadiness readiness, NodeExit exit) => Akka.Actor.Props.Create(() => new ClusterLeaseWatcher(readiness, exit));

    protected override void PreStart() =>
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ClusterLeaseKeeper.StatusKey, Self));
}
