using System.Text.Json.Serialization;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Config;

/// <summary>
/// The agent's config file (JSON, camelCase). It holds the auth token, so it is written with mode
/// 0600 and the key never appears in logs.
/// </summary>
internal sealed record AgentConfig
{
    public const int DefaultPort = 443;

    public string? Hostname { get; init; }
    public int Port { get; init; } = DefaultPort;

    /// <summary>IP to dial instead of resolving <see cref="Hostname"/>; the hostname stays the TLS name.</summary>
    public string? Address { get; init; }

    /// <summary>The auth token.</summary>
    public string? Key { get; init; }

    /// <summary>PEM file trusted as the only root when set; otherwise the system trust store.</summary>
    public string? Ca { get; init; }

    public string? Id { get; init; }
    public string? TunnelHostname { get; init; }
    public IReadOnlyList<HttpRule> Http { get; init; } = [];
    public IReadOnlyList<TcpRule> Tcp { get; init; } = [];

    /// <summary>Port maps (<c>spokes-agent map</c>): local listeners whose connections go through the tunnel.</summary>
    public IReadOnlyList<PortMap> Maps { get; init; } = [];

    /// <summary>Where rules with <c>letsEncrypt</c> get their certificates (docs/agent.md); null = Let's Encrypt.</summary>
    public AcmeSettings? Acme { get; init; }

    /// <summary>"host:port", for logs and status.</summary>
    [JsonIgnore]
    public string Server => Hostname is null ? "(not configured)" : Port == DefaultPort ? Hostname : $"{Hostname}:{Port}";

    public static string Redact(string? key) => key is null ? "(none)" : key.Length <= 8 ? "..." : key[..8] + "...";
}

/// <summary>A local listener (<see cref="Listen"/>, <c>address:port</c>) whose connections the node takes to
/// <see cref="To"/> (<c>host:port</c>, named as for SOCKS: a tunnel's <c>D:80</c>/<c>D:443</c>, <c>&lt;server
/// domain&gt;:P</c>, or what the node's <c>socks.allow</c> opens).</summary>
internal sealed record PortMap(string Listen, string To);

/// <summary>The ACME server of rules with <c>--letsencrypt</c> and when to renew (the <c>acme</c> object of the config).</summary>
internal sealed record AcmeSettings
{
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

    public string Directory { get; init; } = LetsEncrypt;

    /// <summary>Contact address given to the CA (optional).</summary>
    public string? Email { get; init; }

    /// <summary>PEM file trusted as the only root of the ACME server's HTTPS (a private CA); null = the system store.</summary>
    public string? Ca { get; init; }

    /// <summary>Renew this many days before the certificate expires.</summary>
    public int RenewDays { get; init; } = 30;

    /// <summary>How often certificates are checked for renewal.</summary>
    public int CheckSeconds { get; init; } = 3600;
}
