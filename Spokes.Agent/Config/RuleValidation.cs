using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Security;

namespace Spokes.Agent.Config;

/// <summary>Checks operator input; each method returns one line describing the first problem, or null.</summary>
internal static partial class RuleValidation
{
    public static string? Port(int? port, string option) =>
        port is null or (>= 1 and <= 65535) ? null : $"{option} must be a port between 1 and 65535 (got {port})";

    public static string? Domain(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return "--domain is required";
        }

        string name = domain.StartsWith("*.", StringComparison.Ordinal) ? domain[2..] : domain;
        return name.Length <= 253 && name.Contains('.') && DomainPattern().IsMatch(name)
            ? null
            : $"'{domain}' is not a valid domain name";
    }

    public static string? Host(string? host, string option)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return $"{option} is required";
        }

        return IPAddress.TryParse(host, out _) || HostPattern().IsMatch(host) ? null : $"{option} '{host}' is not a host name or IP address";
    }

    /// <summary>The features this agent names in its hello: what <see cref="RuleSupport.NotEnforced"/> may count on.</summary>
    public static readonly IReadOnlyList<string> Features =
        [AgentFeatures.Legs, AgentFeatures.HttpOptions, AgentFeatures.Monitor, AgentFeatures.ServerName];

    public static string? Http(HttpRule rule) =>
        RuleSupport.NotEnforced(rule, Features)
        ?? Domain(rule.Domain)
        ?? Host(rule.Destination, "--destination")
        ?? Port(rule.HttpPort, "--http")
        ?? Port(rule.TlsPort, "--tls")
        ?? (rule.BasicUser is null != rule.BasicPass is null ? "--basic-user and --basic-pass go together" : null)
        ?? (rule.BasicUser is { } user && (user.Length == 0 || user.Contains(':')) ? "--basic-user must be non-empty and have no ':'" : null)
        ?? (rule.LetsEncrypt && (rule.CertFile is not null || rule.KeyFile is not null) ? "--letsencrypt excludes --cert/--key" : null)
        ?? (rule.CertFile is null != rule.KeyFile is null ? "--cert and --key go together" : null)
        ?? RuleSupport.Inconsistent(rule)
        ?? (rule.HostHeader is { } hostHeader ? HostHeader(hostHeader) : null)
        ?? (rule.Password is { } password && !PasswordHasher.LooksHashed(password) ? "--password is kept as a hash only: set it with spokes-agent http add" : null)
        ?? (rule.BasicPass is { } basicPass && !PasswordHasher.LooksHashed(basicPass) ? "--basic-pass is kept as a hash only: set it with spokes-agent http add" : null)
        ?? (rule.Webroot is { } webroot && !Directory.Exists(webroot) ? $"--webroot {webroot} is not a directory" : null)
        ?? (rule is { CertFile: { } cert, KeyFile: { } key } ? Spokes.Agent.Http.RuleCertificates.Check(cert, key, rule.Domain, DateTimeOffset.UtcNow) : null);

    /// <summary>A Host header value: a host name or IP address, with an optional port.</summary>
    public static string? HostHeader(string value)
    {
        string host = value;
        int colon = value.LastIndexOf(':');
        if (colon > 0 && !value.EndsWith(']') && value.IndexOf(':') == colon)
        {
            if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                return $"--host-header '{value}' has a bad port";
            }

            host = value[..colon];
        }

        return Host(host.Trim('[', ']'), "--host-header");
    }

    public static string? TcpForward(int port, string? destination, int? dstPort) =>
        Port(port, "--port") ?? Host(destination, "--destination")
        ?? (dstPort is null ? "--dstport is required" : Port(dstPort, "--dstport"));

    public static string Describe(int port) => port.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$")]
    private static partial Regex HostPattern();
}
