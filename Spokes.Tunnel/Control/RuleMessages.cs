namespace Spokes.Tunnel.Control;

/// <summary>An HTTP/TLS rule of a tunnel (spokes-agent http add).</summary>
public sealed record HttpRule
{
    public required string Domain { get; init; }
    public required string Destination { get; init; }
    public int? HttpPort { get; init; }
    public int? TlsPort { get; init; }
    public string? Webroot { get; init; }
    public bool Redirect { get; init; }
    public string? HostHeader { get; init; }
    public string? Password { get; init; }
    public string? BasicUser { get; init; }
    public string? BasicPass { get; init; }
    public bool LetsEncrypt { get; init; }
    public string? CertFile { get; init; }
    public string? KeyFile { get; init; }

    /// <summary>Node → agent only, for a certificate uploaded from the console: the chain and its private key (PEM).
    /// The agent checks them, writes them next to its config and keeps only the paths (<see cref="CertFile"/>,
    /// <see cref="KeyFile"/>); the node keeps neither.</summary>
    public string? CertificatePem { get; init; }

    public string? KeyPem { get; init; }

    /// <summary>Networks admitted (when any) and refused at the edge (<see cref="Firewall"/>); optional: sent only to
    /// nodes that name <see cref="NodeFeatures.Firewall"/>.</summary>
    public IReadOnlyList<string>? Allow { get; init; }
    public IReadOnlyList<string>? Drop { get; init; }
}

/// <summary>A leased TCP port and where it forwards (unset until tcp forward).</summary>
public sealed record TcpRule
{
    public required int Port { get; init; }
    public string? Destination { get; init; }
    public int? DstPort { get; init; }

    /// <summary>As <see cref="HttpRule.Allow"/> and <see cref="HttpRule.Drop"/>, for this port.</summary>
    public IReadOnlyList<string>? Allow { get; init; }
    public IReadOnlyList<string>? Drop { get; init; }
}

// Rule requests travel in both directions: agent → node when the operator runs a rule command,
// node → agent when the server pushes a change. The receiver applies it and replies Ok or Error.

/// <summary>Agent → node after Welcome: the agent's full rule set; Ok carries a RuleResult per rule.</summary>
public sealed record SyncRules : ControlRequest
{
    public required IReadOnlyList<HttpRule> Http { get; init; }
    public required IReadOnlyList<TcpRule> Tcp { get; init; }
}

public sealed record HttpAdd : ControlRequest
{
    public required HttpRule Rule { get; init; }
}

public sealed record HttpRemove : ControlRequest
{
    public required string Domain { get; init; }
}

/// <summary>Agent → node: lease a port; Ok carries Port.</summary>
public sealed record TcpAllocate : ControlRequest;

/// <summary>Node → agent: a port was leased to this tunnel by the server (e.g. by an administrator).</summary>
public sealed record TcpAllocated : ControlRequest
{
    public required int Port { get; init; }
}

public sealed record TcpForward : ControlRequest
{
    public required int Port { get; init; }
    public required string Destination { get; init; }
    public required int DstPort { get; init; }
}

public sealed record TcpReset : ControlRequest
{
    public required int Port { get; init; }
}

public sealed record TcpRelease : ControlRequest
{
    public required int Port { get; init; }
}

/// <summary>Agent → node or node → agent (nodes that name <see cref="NodeFeatures.Firewall"/>): the whole allow and
/// drop lists of a leased port. HTTP rules carry theirs in <see cref="HttpAdd"/>.</summary>
public sealed record TcpFirewall : ControlRequest
{
    public required int Port { get; init; }
    public required IReadOnlyList<string> Allow { get; init; }
    public required IReadOnlyList<string> Drop { get; init; }
}
