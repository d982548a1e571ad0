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

    public AdminGateway(AdminOperations operations)
    {
        Receive<IAdminRequest>(request => operations.HandleAsync(request, "cli").PipeTo(Sender));
    }

    public static Props Props(AdminOperations operations) => Akka.Actor.Props.Create(() => new AdminGateway(operations));
}
