namespace Spokes.Actors.Configuration;

/// <summary>config.json of SPEC §3. Property names are the JSON keys (camelCase).</summary>
public sealed record SpokesConfig
{
    public string Domain { get; init; } = "localhost";
    public string DataPath { get; init; } = "./data";
    public DatabaseConfig Database { get; init; } = new();
    public PortRangeConfig PortRange { get; init; } = new();
    public TunOptionsConfig TunOptions { get; init; } = new();
    public TlsConfig Tls { get; init; } = new();
    public ListenConfig Listen { get; init; } = new();
    public SocksConfig Socks { get; init; } = new();
    public ClusterConfig Cluster { get; init; } = new();
    public LimitsConfig Limits { get; init; } = new();
    public LogConfig Log { get; init; } = new();
    public ConsoleConfig Console { get; init; } = new();
    public TrafficConfig Traffic { get; init; } = new();
}

/// <summary>How long traffic history is kept in the store (docs/architecture.md, "Traffic history").</summary>
public sealed record TrafficConfig
{
    /// <summary>Days each relayed connection and the hourly roll-ups are kept (1–3650); daily and monthly roll-ups stay.</summary>
    public int RetentionDays { get; init; } = 90;
}

/// <summary>How long a console session lives (docs/console.md, "Sessions").</summary>
public sealed record ConsoleConfig
{
    /// <summary>A session unused this long ends (5–10080 minutes).</summary>
    public int SessionIdleMinutes { get; init; } = 480;

    /// <summary>A session ends this long after its sign-in, used or not (1–720 hours, at least the idle time).</summary>
    public int SessionLifetimeHours { get; init; } = 24;
}

/// <summary>How the node logs: one line per event on standard output.</summary>
public sealed record LogConfig
{
    /// <summary><c>text</c> (default) or <c>json</c> (one JSON object per line, for log shippers).</summary>
    public string Format { get; init; } = "text";

    /// <summary>The least level of Akka's own messages shown: <c>warning</c> (default; its start-up and sharding
    /// chatter is information), <c>info</c> or <c>debug</c>. Spokes' own messages are not affected.</summary>
    public string Akka { get; init; } = "warning";

    public bool Json => Format == "json";
}

/// <summary>What one visitor may hold, and how long a quiet connection lives (docs/reliability.md).</summary>
public sealed record LimitsConfig
{
    /// <summary>Open visitor connections from one address to one tunnel, on each node (0: no limit).</summary>
    public int ConnectionsPerAddressPerTunnel { get; init; } = 256;

    /// <summary>Open visitor connections from one address to all tunnels together, on each node (0: no limit).</summary>
    public int ConnectionsPerAddress { get; init; } = 1024;

    /// <summary>Seconds a connection on a leased TCP port may carry nothing before the node closes it (0: never).</summary>
    public int TcpIdleSeconds { get; init; } = 3600;

    /// <summary>Networks whose connections the per-address limits do not count: a TCP balancer in front of the nodes,
    /// which every visitor's connection appears to come from.</summary>
    public string[] Exempt { get; init; } = [];

    /// <summary>Domains tunnels may claim for their HTTP rules besides the names below the server's domain: exact names or
    /// <c>*.example.com</c> patterns. Empty (the default): any domain, first come first served.</summary>
    public string[] ClaimDomains { get; init; } = [];

    /// <summary>Reads through an API key are written to the audit trail as one entry per key per node and period of this
    /// many seconds, with counts (changes are audited one by one).</summary>
    public int ApiKeyAuditSeconds { get; init; } = 300;
}

public sealed record DatabaseConfig
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; init; } = "sqlite";
    /// <summary>SQLite file; empty means <c>&lt;dataPath&gt;/spokes.db</c>.</summary>
    public string Path { get; init; } = "";
    public string ConnectionString { get; init; } = "";
}

public sealed record PortRangeConfig
{
    public int Begin { get; init; } = 22000;
    public int End { get; init; } = 22999;
}

public sealed record TunOptionsConfig
{
    public int MaxPoolSize { get; init; } = 5;
    public int MaxPorts { get; init; } = 5;
    public bool AutoHostnames { get; init; }
    public MonitorConfig Monitor { get; init; } = new();
}

public sealed record MonitorConfig
{
    public bool Enabled { get; init; }
    public int IntervalSeconds { get; init; } = 60;
}

public sealed record TlsConfig
{
    public bool UseLE { get; init; }
    public string Certificate { get; init; } = "";
    public string PrivateKey { get; init; } = "";
    public string AcmeDirectory { get; init; } = "https://acme-v02.api.letsencrypt.org/directory";
    public string AcmeEmail { get; init; } = "";
}

public sealed record ListenConfig
{
    public string Http { get; init; } = "0.0.0.0:80";
    public string Https { get; init; } = "0.0.0.0:443";
}

public sealed record SocksConfig
{
    public int Port { get; init; }
    public int TlsPort { get; init; }
    public string[] Allow { get; init; } = [];
}

public sealed record ClusterConfig
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 4053;
    public string[] Seeds { get; init; } = [];
    public string Certificate { get; init; } = "";

    /// <summary><c>host:port</c> agents may dial to reach this node directly; empty = the host and port of
    /// <c>listen.https</c> (<c>cluster.host</c> when that host is a wildcard). Nodes tell agents each other's.</summary>
    public string Advertise { get; init; } = "";

    /// <summary>How long a draining node lets in-flight streams finish before it leaves the cluster.</summary>
    public int DrainSeconds { get; init; } = 30;

    /// <summary>On how many distinct nodes an agent keeps connections (at most its pool size and the nodes there are).</summary>
    public int AgentNodes { get; init; } = 2;
}
