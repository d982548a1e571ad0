using Akka.Actor;
using Spokes.Actors.Gateway;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;

namespace Spokes.Edge.Sessions;

/// <summary>What every session actor on a node shares.</summary>
public sealed record SessionContext(SpokesRegions Regions, AdminOperations Operations, IActorRef Presence, LocalLinks Links,
    RouteTableSource Routes, EdgeIdentity Identity, TimeProvider Time)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    /// <summary>What one agent request or pushed rule may take in the session actor, all its steps together: the bound
    /// on how long the actor's mailbox waits behind it. Below the control loop's 20 s answer to the agent, so the agent
    /// hears the step that did not answer (docs/internals.md, "Timeouts").</summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(18);

    /// <summary>What agents are told about the server's name and certificate; null where nothing is told.</summary>
    public Tls.ServerNameBoard? ServerNames { get; init; }

    public string NodeName => Identity.NodeName;
    public string ServerDomain => Identity.Domain;
}
