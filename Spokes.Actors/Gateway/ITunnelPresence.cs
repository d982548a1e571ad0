using System.Collections.Immutable;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

/// <summary>
/// One node's link to a tunnel's session (replicated cluster-wide, written only by that node): the agent holds
/// at least one connection to <see cref="Node"/>. <see cref="Relay"/> is the node's endpoint that peers relay
/// visitors through; <see cref="SecretHash"/> (SHA-256 of the session secret) lets any node admit the agent's
/// next connection without asking this one. <see cref="PrimarySince"/> is when the agent made this link the
/// one it sends rule requests on (the session's single decider); <c>MinValue</c> when it is not.
/// </summary>
public sealed record LinkPresence(string TunnelId, string SessionId, string Node, string Relay, string ClientAddress,
    DateTimeOffset Since, string SecretHash, DateTimeOffset PrimarySince, int Connections) : Entities.IWireMessage
{
    public string Key => KeyOf(TunnelId, Node);

    public static string KeyOf(string tunnelId, string node) => tunnelId + "|" + node;
}

/// <summary>What a tunnel routes: the rules and leased ports its session decided last (replicated, written by
/// the node whose link decided them). Kept while the tunnel is offline; removed when it is shut down.
/// <paramref name="PortFirewalls"/>: the allow and drop lists of leased ports that have any.</summary>
public sealed record TunnelRoutes(string TunnelId, string SessionId, ImmutableList<HttpRuleInfo> Rules, ImmutableList<int> Ports,
    DateTimeOffset Updated, ImmutableDictionary<int, Tunnels.FirewallInfo>? PortFirewalls = null) : Entities.IWireMessage
{
    public IEnumerable<string> Domains => Rules.Select(r => r.Domain);
}

/// <summary>A connected tunnel as the admin side sees it: its session and the nodes holding a link of it.</summary>
public sealed record SessionPresence(string TunnelId, string SessionId, ImmutableList<string> Nodes, string ClientAddress,
    DateTimeOffset Since)
{
    /// <summary>The nodes, comma-separated (the primary first).</summary>
    public string Node => string.Join(",", Nodes);
}

/// <summary>Online state of tunnels, read locally without an actor round trip.</summary>
public interface ITunnelPresence
{
    ImmutableDictionary<string, SessionPresence> Online { get; }

    /// <summary>The allow and drop lists of a tunnel's leased ports, as its routes say.</summary>
    ImmutableDictionary<int, FirewallInfo> PortFirewalls(string tunnelId);
}

/// <summary>Presence of a node without a data plane: every tunnel offline.</summary>
public sealed class NoPresence : ITunnelPresence
{
    public ImmutableDictionary<string, SessionPresence> Online => ImmutableDictionary<string, SessionPresence>.Empty;

    public ImmutableDictionary<int, FirewallInfo> PortFirewalls(string tunnelId) => ImmutableDictionary<int, FirewallInfo>.Empty;
}
