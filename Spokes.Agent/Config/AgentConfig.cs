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

    /// <summary>"host:port", for logs and status.</summary>
    [JsonIgnore]
    public string Server => Hostname is null ? "(not configured)" : Port == DefaultPort ? Hostname : $"{Hostname}:{Port}";

    public static string Redact(string? key) => key is null ? "(none)" : key.Length <= 8 ? "..." : key[..8] + "...";
}
