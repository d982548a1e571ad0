using Akka.Actor;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Sessions;

/// <summary>What every session actor on a node shares.</summary>
public sealed record SessionContext(SpokesRegions Regions, AdminOperations Operations, IActorRef Presence, LocalLinks Links,
    string NodeName, string ServerDomain, string RelayEndpoint, TimeProvider Time)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);
}
