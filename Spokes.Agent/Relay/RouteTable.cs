using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Relay;

/// <summary>Where a stream goes: relayed raw to a local destination, or served by the agent's own HTTP stack
/// (<see cref="Http.AgentHttpServer"/>) on one of its endpoints.</summary>
internal readonly record struct StreamRoute(string? Host, int Port, string? Site)
{
    public static StreamRoute Raw(string host, int port) => new(host, port, null);

    public static StreamRoute Served(string endpoint) => new(null, 0, endpoint);
}

/// <summary>Where a stream goes: the rule named by its open header.</summary>
internal static class RouteTable
{
    public const int DefaultHttpPort = 80;
    public const int DefaultTlsPort = 443;

    /// <summary>The route, or null when no rule matches (the stream is then reset). A rule saved with an option
    /// this release does not enforce (an older config) is never served.</summary>
    public static StreamRoute? Resolve(AgentConfig config, StreamOpenHeader header)
    {
        switch (header.Kind)
        {
            case StreamKind.Http or StreamKind.Tls when header.Domain is { } domain:
                HttpRule? rule = HttpRuleFor(config, domain);
                if (rule is null || RuleSupport.NotEnforced(rule, RuleValidation.Features) is not null)
                {
                    return null;
                }

                if (header.Kind == StreamKind.Tls)
                {
                    return rule.CertFile is not null || rule.LetsEncrypt ? StreamRoute.Served(Http.AgentHttpServer.HttpsEndpoint)
                        : rule.Webroot is not null ? null
                        : StreamRoute.Raw(rule.Destination, rule.TlsPort ?? DefaultTlsPort);
                }

                return Http.AgentHttpServer.ServesPlain(rule) ? StreamRoute.Served(Http.AgentHttpServer.HttpEndpoint)
                    : StreamRoute.Raw(rule.Destination, rule.HttpPort ?? DefaultHttpPort);

            case StreamKind.Tcp when header.Port is { } port:
                TcpRule? tcp = config.Tcp.FirstOrDefault(r => r.Port == port);
                return tcp is { Destination: { } host, DstPort: { } dstPort } ? StreamRoute.Raw(host, dstPort) : null;

            default:
                return null;
        }
    }

    /// <summary>The rule of a domain: its own, else a wildcard rule covering it.</summary>
    public static HttpRule? HttpRuleFor(AgentConfig config, string domain) =>
        config.Http.FirstOrDefault(r => RuleBook.SameDomain(r.Domain, domain))
        ?? config.Http.FirstOrDefault(r => MatchesWildcard(r.Domain, domain));

    private static bool MatchesWildcard(string pattern, string domain) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
        && domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
        && domain.Length > pattern.Length - 1;
}
