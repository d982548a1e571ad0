using Akka.Actor;

namespace Spokes.Actors.Gateway;

/// <summary>The shard regions and the catalog proxy of this node: how services reach the entities.</summary>
public sealed record SpokesRegions(IActorRef Users, IActorRef Registrations, IActorRef Tokens, IActorRef Tunnels,
    IActorRef Ports, IActorRef Catalog, IActorRef Domains, IActorRef ApiKeys);
