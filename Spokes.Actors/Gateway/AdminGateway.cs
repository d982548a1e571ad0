using Akka.Actor;

namespace Spokes.Actors.Gateway;

/// <summary>
/// The cluster's front door for the CLI: registered with the cluster-client receptionist on every node
/// under <see cref="Path"/>. It holds no state; each request runs through <see cref="AdminOperations"/>
/// and its answer is piped back to the asker.
/// </summary>
public sealed class AdminGateway : ReceiveActor
{
    public const string Name = "spokes-gateway";
    public const string Path = "/user/" + Name;

    public AdminGateway(AdminOperations operations, Nodes.NodeReadiness readiness)
    {
        Receive<IAdminRequest>(request =>
        {
            if (AdminOperations.ConsoleOnly(request))
                Sender.Tell(new Entities.Refusal(Entities.ErrorCode.Invalid, $"{request.GetType().Name} is the console's own"));
            else if (!readiness.CanServe)
                Sender.Tell(new Entities.Refusal(Entities.ErrorCode.Unavailable, $"this node does not serve yet: {readiness.Reason}"));
            else
                operations.HandleAsync(request, "cli").PipeTo(Sender);
        });
    }

    public static Props Props(AdminOperations operations, Nodes.NodeReadiness readiness) =>
        Akka.Actor.Props.Create(() => new AdminGateway(operations, readiness));
}
