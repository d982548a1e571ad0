using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Relay;

/// <summary>Where a stream goes: the local destination of the rule named by its open header.</summary>
internal static class RouteTable
{
    public const int DefaultHttpPort = 80;
    public const int DefaultTlsPort = 443;

    /// <summary>The local host and port, or null when no rule matches (the stream is then reset). A rule saved
    /// with an option this release does not enforce (an older config) is never served.</summary>
    public static (string Host, int Port)? Resolve(AgentConfig config, StreamOpenHeader header)
    {
        switch (header.Kind)
        {
            case StreamKind.Http or StreamKind.Tls when header.Domain is { } domain:
                HttpRule? rule = config.Http.FirstOrDefault(r => RuleBook.SameDomain(r.Domain, domain))
                    ?? config.Http.FirstOrDefault(r => MatchesWildcard(r.Domain, domain));
                if (rule is null || RuleSupport.NotEnforced(rule) is not null)
                {
                    return null;
                }

                return header.Kind == StreamKind.Http
                    ? (rule.Destination, rule.HttpPort ?? DefaultHttpPort)
                    : (rule.Destination, rule.TlsPort ?? DefaultTlsPort);

            case StreamKind.Tcp when header.Port is { } port:
                TcpRule? tcp = config.Tcp.FirstOrDefault(r => r.Port == port);
                return tcp is { Destination: { } host, DstPort: { } dstPort } ? (host, dstPort) : null;

            default:
                return null;
        }
    }

    private static bool MatchesWildcard(string pattern, string domain) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
        && domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
        && domain.Length > pattern.Length - 1;
}
