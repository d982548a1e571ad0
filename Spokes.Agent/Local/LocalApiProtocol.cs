using Spokes.Tunnel.Control;

namespace Spokes.Agent.Local;

/// <summary>
/// The local API: one JSON object per line over the agent's Unix socket (<c>&lt;configdir&gt;/agent.sock</c>, mode 0600).
/// <c>{"op":"httpAdd","rule":{...}}</c> → <c>{"ok":true}</c> or <c>{"ok":false,"error":"...","failure":"refused"}</c>.
/// </summary>
internal static class LocalOps
{
    public const string Status = "status";
    public const string HttpAdd = "httpAdd";
    public const string HttpRemove = "httpRemove";
    public const string TcpAllocate = "tcpAllocate";
    public const string TcpAllocated = "tcpAllocated";
    public const string TcpForward = "tcpForward";
    public const string TcpReset = "tcpReset";
    public const string TcpRelease = "tcpRelease";

    /// <summary>One network allowed, dropped or removed for an HTTP rule (<see cref="LocalRequest.Action"/>).</summary>
    public const string HttpFirewall = "httpFirewall";

    /// <summary>One network allowed, dropped or removed for a leased port.</summary>
    public const string TcpFirewall = "tcpFirewall";

    /// <summary>A port's whole lists, as the node pushed them (<see cref="LocalRequest.Allow"/>, <see cref="LocalRequest.Drop"/>).</summary>
    public const string TcpFirewallSet = "tcpFirewallSet";

    /// <summary>Adds or replaces the port map listening on <see cref="LocalRequest.Listen"/> (to <see cref="LocalRequest.To"/>).</summary>
    public const string MapAdd = "mapAdd";
    public const string MapRemove = "mapRemove";
}

/// <summary>Values of <see cref="LocalRequest.Action"/> for the firewall ops.</summary>
internal static class FirewallActions
{
    public const string Allow = "allow";
    public const string Drop = "drop";
    public const string Remove = "rm";

    public static string Describe(string action, string network, string what) => action switch
    {
        Allow => $"{network} allowed for {what}",
        Drop => $"{network} dropped for {what}",
        _ => $"{network} removed from the lists of {what}",
    };
}

/// <summary>Values of <see cref="LocalResponse.Failure"/>; each maps to an exit code.</summary>
internal static class LocalFailures
{
    public const string Refused = "refused";
    public const string Invalid = "invalid";
    public const string NotFound = "notFound";
    public const string Unreachable = "unreachable";
}

internal sealed record LocalRequest
{
    public required string Op { get; init; }
    public HttpRule? Rule { get; init; }
    public string? Domain { get; init; }
    public int? Port { get; init; }
    public string? Destination { get; init; }
    public int? DstPort { get; init; }

    /// <summary>Firewall ops: allow, drop or rm (<see cref="FirewallActions"/>) of <see cref="Network"/>.</summary>
    public string? Action { get; init; }
    public string? Network { get; init; }
    public IReadOnlyList<string>? Allow { get; init; }
    public IReadOnlyList<string>? Drop { get; init; }

    /// <summary>Port maps: the local <c>address:port</c> and where its connections go.</summary>
    public string? Listen { get; init; }
    public string? To { get; init; }
}

internal sealed record LocalResponse
{
    public required bool Ok { get; init; }
    public string? Error { get; init; }
    public string? Failure { get; init; }
    public int? Port { get; init; }
    public AgentStatus? Status { get; init; }

    public static LocalResponse Success(int? port = null) => new() { Ok = true, Port = port };

    public static LocalResponse Fail(string failure, string error) => new() { Ok = false, Failure = failure, Error = error };
}

/// <summary>What <c>status</c> shows about a running agent.</summary>
internal sealed record AgentStatus
{
    public required string Server { get; init; }
    public required bool Running { get; init; }
    public required bool Connected { get; init; }
    public string? TunnelId { get; init; }
    public DateTimeOffset? Since { get; init; }
    public int PoolSize { get; init; }
    public int OpenStreams { get; init; }

    /// <summary>The nodes the session holds connections to, the one rule requests go to first.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    public int HttpRules { get; init; }
    public int TcpRules { get; init; }

    /// <summary>The upstream monitor: on (as the node says) and what its last check found.</summary>
    public bool Monitoring { get; init; }
    public IReadOnlyList<ServiceStatus> Services { get; init; } = [];

    /// <summary>Port maps and how many of them listen.</summary>
    public int Maps { get; init; }
    public int MapsListening { get; init; }
    public string? LastError { get; init; }
}
