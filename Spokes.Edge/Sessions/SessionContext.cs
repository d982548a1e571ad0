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

    /// <summary>What agents are told about the server's name and certificate; null where nothing is told.</summary>
    public Tls.ServerNameBoard? ServerNames { get; init; }

    public string NodeName => Identity.NodeName;
    public string ServerDomain => Identity.Domain;
}
