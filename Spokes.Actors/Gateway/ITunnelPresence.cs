using System.Collections.Immutable;

namespace Spokes.Actors.Gateway;

/// <summary>Where a tunnel's session lives right now and what it routes (replicated cluster-wide).
/// <see cref="Relay"/> is the holding node's HTTPS endpoint (cluster host, HTTPS port) that other nodes
/// relay visitors through.</summary>
public sealed record SessionPresence(string TunnelId, string SessionId, string Node, string ClientAddress, DateTimeOffset Since,
    ImmutableList<string> Domains, ImmutableList<int> Ports, string Relay) : Entities.IWireMessage;

/// <summary>Online state of tunnels, read locally without an actor round trip.</summary>
public interface ITunnelPresence
{
    ImmutableDictionary<string, SessionPresence> Online { get; }
}

/// <summary>Presence of a node without a data plane: every tunnel offline.</summary>
public sealed class NoPresence : ITunnelPresence
{
    public ImmutableDictionary<string, SessionPresence> Online => ImmutableDictionary<string, SessionPresence>.Empty;
}
