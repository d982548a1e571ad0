using Akka.Actor;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;

namespace Spokes.Edge.Nodes;

/// <summary>One per node (<c>/user/drain</c>): an operator's <c>spokes cluster drain</c> (or the console's Drain
/// button) reaches the node being drained here. It answers at once; when the drain is done the node stops (exit
/// code 0), leaving the cluster.</summary>
public sealed class DrainActor : ReceiveActor
{
    public const string Name = "drain";

    public DrainActor(NodeDrain drain, NodeExit exit, string node)
    {
        Receive<DrainThisNode>(d =>
        {
            var already = drain.Started;
            drain.DrainAsync($"asked by {d.By}").ContinueWith(_ => exit.Request(0, "drained; left the cluster"), TaskScheduler.Default);
            Sender.Tell(new AdminDone(already
                ? $"node {node} is already draining"
                : $"node {node} is draining: not ready, agents moving to other nodes; it leaves the cluster when they are gone"));
        });
    }

    public static Props Props(NodeDrain drain, NodeExit exit, string node) =>
        Akka.Actor.Props.Create(() => new DrainActor(drain, exit, node));
}
