using System.Text.Json.Serialization;

namespace Spokes.Tunnel.Control;

[JsonConverter(typeof(JsonStringEnumConverter<ConnectionRole>))]
public enum ConnectionRole
{
    /// <summary>The first pool connection: carries the control channel and opens a session.</summary>
    [JsonStringEnumMemberName("control")] Control,

    /// <summary>A further pool connection joining an existing session (SessionId + SessionSecret).</summary>
    [JsonStringEnumMemberName("data")] Data,
}

/// <summary>Agent → node, first message on every pool connection.</summary>
public sealed record Hello : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string AgentVersion { get; init; }
    public required string Key { get; init; }
    public required ConnectionRole Role { get; init; }
    public string? SessionId { get; init; }
    public string? SessionSecret { get; init; }

    /// <summary>What this agent understands beyond version 1's core (<see cref="AgentFeatures"/>); optional, so
    /// older nodes ignore it. A node sends <see cref="NodesUpdate"/> and <see cref="Drain"/> only to agents that
    /// name <see cref="AgentFeatures.Legs"/>.</summary>
    public IReadOnlyList<string>? Features { get; init; }
}

/// <summary>Values of <see cref="Hello.Features"/>.</summary>
public static class AgentFeatures
{
    /// <summary>The agent keeps connections on several nodes of a cluster (one leg per node), follows
    /// <c>nodes</c> updates and moves off a node that sends <c>drain</c>.</summary>
    public const string Legs = "legs";

    /// <summary>The agent serves rules' <c>webroot</c>, <c>hostHeader</c>, <c>password</c>, <c>basicUser/basicPass</c> and
    /// <c>certFile/keyFile</c> and <c>letsEncrypt</c> itself (its own HTTP stack): a node accepts such rules only from such agents.</summary>
    public const string HttpOptions = "httpOptions";

    /// <summary>The agent runs the upstream monitor: it follows <see cref="MonitorSettings"/> and sends
    /// <see cref="ServiceStates"/>.</summary>
    public const string Monitor = "monitor";

    /// <summary>The agent follows <see cref="ServerName"/>: it saves the server's new name (and, when it trusts a CA file,
    /// the node's self-signed certificate) and dials that from then on.</summary>
    public const string ServerName = "serverName";
}

/// <summary>Values of <see cref="Welcome.Features"/>.</summary>
public static class NodeFeatures
{
    /// <summary>The node enforces rules' allow and drop lists (<see cref="HttpRule.Allow"/>, <see cref="TcpFirewall"/>).</summary>
    public const string Firewall = "firewall";

    /// <summary>The node takes streams the agent opens for its port maps (<see cref="MapOpenHeader"/>).</summary>
    public const string Map = "map";

    public static bool Has(Welcome? welcome, string feature) => welcome?.Features?.Contains(feature) == true;
}

/// <summary>A node agents may dial: its name (as in <see cref="Welcome.Node"/>) and advertised endpoint.</summary>
public sealed record NodeEndpoint(string Node, string Endpoint, bool Draining = false);

/// <summary>Node → agent: Hello accepted.</summary>
public sealed record Welcome : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string TunnelId { get; init; }
    public required string SessionId { get; init; }
    public required string SessionSecret { get; init; }
    public required int MaxPoolSize { get; init; }
    public required string ServerVersion { get; init; }

    /// <summary>The node that answered (so an agent behind a balancer knows where it landed).</summary>
    public string? Node { get; init; }

    /// <summary>The cluster's nodes agents may dial, this one included.</summary>
    public IReadOnlyList<NodeEndpoint>? Nodes { get; init; }

    /// <summary>On how many distinct nodes the agent should keep connections.</summary>
    public int? Legs { get; init; }

    /// <summary>What this node understands beyond version 1's core (<see cref="NodeFeatures"/>); optional, so an
    /// agent sends what needs a feature only to nodes that name it.</summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>True when the node uses stream 1 of this connection as the control channel of its link to the
    /// session (the agent's first connection to that node); false for a further pool connection to it.</summary>
    public bool? Control { get; init; }
}

/// <summary>Node → agent (agents with <see cref="AgentFeatures.Legs"/>): the nodes agents may dial changed.</summary>
public sealed record NodesUpdate : ControlMessage
{
    public required IReadOnlyList<NodeEndpoint> Nodes { get; init; }
}

/// <summary>Node → agent (agents with <see cref="AgentFeatures.Legs"/>): this node is draining. The agent opens
/// its replacement connection on another node first, then stops opening streams here and closes its
/// connections to this node once their streams are done (at most <see cref="Seconds"/>).</summary>
public sealed record Drain : ControlMessage
{
    public required int Seconds { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Node → agent: Hello or Register refused; the node closes the connection after it.</summary>
public sealed record Refused : ControlMessage
{
    public required string Code { get; init; }
    public required string Message { get; init; }
}

/// <summary>Agent → node on a one-shot connection: trade a registration token for a key.</summary>
public sealed record Register : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string RegistrationToken { get; init; }
    public string? UserId { get; init; }
    public string? TunnelHostname { get; init; }
}

public sealed record Registered : ControlMessage
{
    public required string Key { get; init; }
}

/// <summary>Agent → node on a one-shot connection (<c>spokes-agent deauth</c>): revoke the auth token this key is.
/// The node deactivates it and shuts its tunnel down; the key is refused from then on.</summary>
public sealed record Deauthorize : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string Key { get; init; }
}

/// <summary>Node → agent: the token is inactive (it may have been already).</summary>
public sealed record Deauthorized : ControlMessage
{
    public required string TokenId { get; init; }
}

/// <summary>Node → agent: the tunnel was shut down or deactivated; the agent stops and must not retry in a hot loop.</summary>
public sealed record Shutdown : ControlMessage
{
    public required string Reason { get; init; }
}

/// <summary>Keepalive, either direction; answered with a pong carrying the same nonce.</summary>
public sealed record KeepAlivePing : ControlMessage
{
    public required long Nonce { get; init; }
}

public sealed record KeepAlivePong : ControlMessage
{
    public required long Nonce { get; init; }
}

/// <summary>Node → agent (agents with <see cref="AgentFeatures.Monitor"/>), after <c>welcome</c> and whenever the
/// cluster's tunnel options change: whether the agent checks its rules' and leases' destinations, and how often.</summary>
public sealed record MonitorSettings : ControlMessage
{
    public required bool Enabled { get; init; }
    public required int IntervalSeconds { get; init; }
}

/// <summary>Node → agent (agents with <see cref="AgentFeatures.ServerName"/>), after <c>welcome</c> and whenever the node
/// starts serving another domain or certificate: the name agents dial and check the certificate against, and — when the
/// node serves a self-signed certificate — that certificate (PEM), which an agent that trusts a CA file adds to what it
/// trusts (the node is already authenticated on this channel).</summary>
public sealed record ServerName : ControlMessage
{
    public const int MaxPemLength = 16 * 1024;

    public required string Hostname { get; init; }
    public string? CertificatePem { get; init; }
}

/// <summary>Agent → node: the upstream monitor's view of every watched destination, sent when one changed (and on a
/// new session); the whole list each time, empty once monitoring is off. At most <see cref="MaxServices"/>.</summary>
public sealed record ServiceStates : ControlRequest
{
    public const int MaxServices = 256;

    public required IReadOnlyList<ServiceStatus> Services { get; init; }
}

/// <summary>A rule (<c>http:DOMAIN</c>) or lease (<c>tcp:PORT</c>) whose destination answered a TCP connect
/// (<see cref="Online"/>) or not, since <see cref="Since"/>.</summary>
public sealed record ServiceStatus(string Rule, bool Online, DateTimeOffset Since);
