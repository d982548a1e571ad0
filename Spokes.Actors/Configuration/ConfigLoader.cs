using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Actors.Configuration;

/// <summary>A configuration problem, reported to the operator as one line naming the key.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>Reads and validates config.json; resolves the embedded default when there is none.</summary>
public static partial class ConfigLoader
{
    public const string DefaultPath = "/etc/spokes/config.json";
    public const string EnvironmentVariable = "SPOKES_CONFIG";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The embedded default: a laptop without root (SPEC §3), documented in the README.</summary>
    public static SpokesConfig EmbeddedDefault => new()
    {
        Domain = "localhost",
        DataPath = "./data",
        Listen = new ListenConfig { Http = "127.0.0.1:8080", Https = "127.0.0.1:8443" },
        PortRange = new PortRangeConfig { Begin = 22000, End = 22999 },
        Cluster = new ClusterConfig { Host = "127.0.0.1", Port = 4053 },
    };

    /// <summary>Explicit path, else $SPOKES_CONFIG, else /etc/spokes/config.json if it exists, else null
    /// (embedded default).</summary>
    public static string? ResolvePath(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return explicitPath;
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        return File.Exists(DefaultPath) ? DefaultPath : null;
    }

    public static SpokesConfig Load(string? path)
    {
        var config = path is null ? EmbeddedDefault : Parse(Expand(ReadFile(path), path, Environment.GetEnvironmentVariable), path);
        var domain = Environment.GetEnvironmentVariable("DOMAIN");
        if (path is null && !string.IsNullOrWhiteSpace(domain)) config = config with { Domain = domain.Trim() };
        Validate(config);
        return Normalize(config);
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"config: cannot read {path}: {ex.Message}");
        }
    }

    /// <summary>
    /// Replaces <c>${NAME}</c> (or <c>${NAME:-default}</c>) in the file's text with the environment's value, JSON-escaped,
    /// so one file serves every node of a cluster or container (<c>"domain": "${DOMAIN}"</c>,
    /// <c>"host": "${SPOKES_NODE}"</c>, a connection string from a secret). A variable that is not set and has no
    /// default stops the start with one line naming it.
    /// </summary>
    public static string Expand(string json, string source, Func<string, string?> environment) =>
        Placeholder().Replace(json, m =>
        {
            var name = m.Groups["name"].Value;
            var value = environment(name);
            if (string.IsNullOrEmpty(value)) value = m.Groups["default"].Success ? m.Groups["default"].Value : null;
            if (value is null) throw new ConfigException($"config: {source} uses ${{{name}}}, which is not set in the environment");
            return JsonEncodedText.Encode(value).ToString();
        });

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    public static SpokesConfig Parse(string json, string source = "config")
    {
        try
        {
            return JsonSerializer.Deserialize<SpokesConfig>(json, Options)
                   ?? throw new ConfigException($"config: {source} is empty");
        }
        catch (JsonException ex)
        {
            var key = KeyFromPath(ex.Path);
            if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
                throw new ConfigException($"config: unknown key '{key}' in {source}");
            throw new ConfigException(key.Length == 0
                ? $"config: {source} is not valid JSON (line {ex.LineNumber + 1})"
                : $"config: bad value for '{key}' in {source}");
        }
    }

    private static string KeyFromPath(string? jsonPath) =>
        (jsonPath ?? "$").TrimStart('$').TrimStart('.').Replace("['", ".").Replace("']", "");

    /// <summary>Why <paramref name="domain"/> cannot be the server's domain set at run time, or null: a host name of
    /// letters, digits and inner hyphens per label (international names in their xn-- form), no address literal, no
    /// wildcard, no trailing dot, at most 253 characters.</summary>
    public static string? DomainProblem(string? domain) =>
        string.IsNullOrWhiteSpace(domain) ? "a domain name is required"
        : domain.Length > 253 || !HostName().IsMatch(domain) || Uri.CheckHostName(domain) != UriHostNameType.Dns
            ? $"'{(domain.Length > 64 ? domain[..64] + "..." : domain)}' is not a valid domain name"
        : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?=.*[a-zA-Z-])([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial System.Text.RegularExpressions.Regex HostName();

    public static void Validate(SpokesConfig c)
    {
        if (string.IsNullOrWhiteSpace(c.Domain) || Uri.CheckHostName(c.Domain) == UriHostNameType.Unknown)
            throw new ConfigException($"config: 'domain' is not a valid host name: '{c.Domain}'");
        if (string.IsNullOrWhiteSpace(c.DataPath))
            throw new ConfigException("config: 'dataPath' must not be empty");
        if (c.Console.SessionIdleMinutes is < 5 or > 10_080)
            throw new ConfigException($"config: 'console.sessionIdleMinutes' must be between 5 and 10080, not {c.Console.SessionIdleMinutes}");
        if (c.Console.SessionLifetimeHours is < 1 or > 720)
            throw new ConfigException($"config: 'console.sessionLifetimeHours' must be between 1 and 720, not {c.Console.SessionLifetimeHours}");
        if (c.Console.SessionLifetimeHours * 60 < c.Console.SessionIdleMinutes)
            throw new ConfigException("config: 'console.sessionLifetimeHours' must not be shorter than 'console.sessionIdleMinutes'");
        ValidatePort("portRange.begin", c.PortRange.Begin);
        ValidatePort("portRange.end", c.PortRange.End);
        if (c.PortRange.Begin > c.PortRange.End)
            throw new ConfigException($"config: 'portRange' begin {c.PortRange.Begin} is after end {c.PortRange.End}");
        if (c.TunOptions.MaxPoolSize is < 1 or > 64)
            throw new ConfigException("config: 'tunOptions.maxPoolSize' must be between 1 and 64");
        if (c.TunOptions.MaxPorts is < 0 or > 65535)
            throw new ConfigException("config: 'tunOptions.maxPorts' must be between 0 and 65535");
        if (c.TunOptions.Monitor.IntervalSeconds < 1)
            throw new ConfigException("config: 'tunOptions.monitor.intervalSeconds' must be at least 1");
        switch (c.Database.Provider)
        {
            case "sqlite": break;
            case "postgres" when !string.IsNullOrWhiteSpace(c.Database.ConnectionString): break;
            case "postgres": throw new ConfigException("config: 'database.connectionString' is required for postgres");
            default: throw new ConfigException($"config: 'database.provider' must be sqlite or postgres, not '{c.Database.Provider}'");
        }
        ParseEndpoint("listen.http", c.Listen.Http);
        ParseEndpoint("listen.https", c.Listen.Https);
        if (c.Socks.Port != 0) ValidatePort("socks.port", c.Socks.Port);
        if (c.Socks.TlsPort != 0) ValidatePort("socks.tlsPort", c.Socks.TlsPort);
        if (c.Socks.Port != 0 && c.Socks.Port == c.Socks.TlsPort)
            throw new ConfigException("config: 'socks.port' and 'socks.tlsPort' must differ");
        if (SocksAllowList.Canonical(c.Socks.Allow, out _) is { } badAllow) throw new ConfigException("config: " + badAllow);
        if (!IPAddress.TryParse(c.Cluster.Host, out _) && Uri.CheckHostName(c.Cluster.Host) == UriHostNameType.Unknown)
            throw new ConfigException($"config: 'cluster.host' is not an address: '{c.Cluster.Host}'");
        if (c.Cluster.Port != 0) ValidatePort("cluster.port", c.Cluster.Port);
        var listeners = Gateway.SocksSettingsSource.For(c);
        foreach (var (key, port) in new[] { ("socks.port", c.Socks.Port), ("socks.tlsPort", c.Socks.TlsPort) })
            if (listeners.Conflict(port, c.PortRange) is { } taken) throw new ConfigException($"config: '{key}': {taken}");
        for (var i = 0; i < c.Cluster.Seeds.Length; i++)
            ParseEndpoint($"cluster.seeds[{i}]", c.Cluster.Seeds[i]);
        if (c.Cluster.Advertise.Length > 0)
        {
            var (host, port) = ParseEndpoint("cluster.advertise", c.Cluster.Advertise);
            if (host is "" or "*" or "0.0.0.0" or "::" || port == 0)
                throw new ConfigException($"config: 'cluster.advertise' must name an address agents can dial, not '{c.Cluster.Advertise}'");
        }
        if (c.Cluster.DrainSeconds is < 0 or > 3600)
            throw new ConfigException("config: 'cluster.drainSeconds' must be between 0 and 3600");
        if (c.Cluster.AgentNodes is < 1 or > 64)
            throw new ConfigException("config: 'cluster.agentNodes' must be between 1 and 64");
        if (!string.IsNullOrEmpty(c.Cluster.Certificate) && !File.Exists(c.Cluster.Certificate))
            throw new ConfigException($"config: 'cluster.certificate' file not found: {c.Cluster.Certificate}");
        if (c.Limits.ConnectionsPerAddressPerTunnel is < 0 or > 1_000_000)
            throw new ConfigException("config: 'limits.connectionsPerAddressPerTunnel' must be between 0 (no limit) and 1000000");
        if (c.Limits.ConnectionsPerAddress is < 0 or > 1_000_000)
            throw new ConfigException("config: 'limits.connectionsPerAddress' must be between 0 (no limit) and 1000000");
        if (c.Log.Format is not ("text" or "json"))
            throw new ConfigException($"config: 'log.format' is '{c.Log.Format}'; use text or json");
        if (c.Log.Akka is not ("warning" or "info" or "debug"))
            throw new ConfigException($"config: 'log.akka' is '{c.Log.Akka}'; use warning, info or debug");
        if (c.Limits.ApiKeyAuditSeconds is < 1 or > 86_400)
            throw new ConfigException("config: 'limits.apiKeyAuditSeconds' must be between 1 and 86400");
        if (c.Traffic.RetentionDays is < 1 or > 3650)
            throw new ConfigException($"config: 'traffic.retentionDays' must be between 1 and 3650, not {c.Traffic.RetentionDays}");
        if (c.Limits.TcpIdleSeconds is < 0 or > 604_800)
            throw new ConfigException("config: 'limits.tcpIdleSeconds' must be between 0 (never) and 604800");
        if (c.Limits.ClaimDomains.FirstOrDefault(d => !Users.DomainPatterns.IsValid(d)) is { } badPattern)
            throw new ConfigException($"config: 'limits.claimDomains': '{badPattern}' is not a domain or *.domain pattern");
        if (c.Limits.ClaimDomains.Length > 1000)
            throw new ConfigException("config: 'limits.claimDomains' holds at most 1000 patterns");
        if (Spokes.Tunnel.Control.Firewall.Canonical(c.Limits.Exempt, out _) is { } badNetwork)
            throw new ConfigException($"config: 'limits.exempt': {badNetwork}");
        if (!string.IsNullOrEmpty(c.Tls.Certificate) != !string.IsNullOrEmpty(c.Tls.PrivateKey))
            throw new ConfigException("config: 'tls.certificate' and 'tls.privateKey' must be given together");
        if (c.Tls.UseLE && !Uri.TryCreate(c.Tls.AcmeDirectory, UriKind.Absolute, out _))
            throw new ConfigException("config: 'tls.acmeDirectory' is not an absolute URL");
    }

    private static void ValidatePort(string key, int port)
    {
        if (port is < 1 or > 65535) throw new ConfigException($"config: '{key}' must be a port between 1 and 65535, not {port}");
    }

    /// <summary>Parses <c>host:port</c>; throws a ConfigException naming <paramref name="key"/>.</summary>
    public static (string Host, int Port) ParseEndpoint(string key, string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
            throw new ConfigException($"config: '{key}' must be host:port, not '{value}'");
        return (value[..colon].Trim('[', ']'), port);
    }

    private static SpokesConfig Normalize(SpokesConfig c)
    {
        var dataPath = Path.GetFullPath(c.DataPath);
        var db = c.Database.Provider == "sqlite" && string.IsNullOrWhiteSpace(c.Database.Path)
            ? c.Database with { Path = Path.Combine(dataPath, "spokes.db") }
            : c.Database;
        if (db.Provider == "sqlite") db = db with { Path = Path.GetFullPath(db.Path) };
        return c with { DataPath = dataPath, Database = db, Domain = c.Domain.Trim().ToLowerInvariant() };
    }

    /// <summary>The endpoint agents dial to reach this node (<c>cluster.advertise</c> or its default).</summary>
    public static string AdvertisedEndpoint(SpokesConfig c)
    {
        if (c.Cluster.Advertise.Length > 0) return c.Cluster.Advertise;
        var (host, port) = ParseEndpoint("listen.https", c.Listen.Https);
        if (host is "" or "*" or "0.0.0.0" or "::") host = c.Cluster.Host;
        return host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
    }
}
