using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Config;

internal enum RuleFailure
{
    None,
    Invalid,
    NotFound,
}

/// <summary>The outcome of one rule change: the new config, or why it was not applied.</summary>
internal readonly record struct RuleChange(AgentConfig? Config, RuleFailure Failure = RuleFailure.None, string? Error = null)
{
    public static RuleChange Fail(RuleFailure failure, string error) => new(null, failure, error);
}

/// <summary>
/// Rule edits as pure functions of the config. The same edits serve the offline CLI, the local API
/// and rules pushed by the node. <c>strict</c> (offline CLI) reports missing rules as not found; once the
/// node has accepted a change it is applied as an upsert.
/// </summary>
internal static class RuleBook
{
    public static RuleChange Apply(AgentConfig config, LocalRequest request, bool strict)
    {
        switch (request.Op)
        {
            case LocalOps.HttpAdd when request.Rule is { } rule:
                if (RuleValidation.Http(rule) is { } invalid)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, invalid);
                }

                return new(config with { Http = [.. config.Http.Where(r => !SameDomain(r.Domain, rule.Domain)), rule] });

            case LocalOps.HttpRemove when request.Domain is { } domain:
                if (strict && !config.Http.Any(r => SameDomain(r.Domain, domain)))
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"no http rule for {domain}");
                }

                return new(config with { Http = [.. config.Http.Where(r => !SameDomain(r.Domain, domain))] });

            case LocalOps.TcpAllocated when request.Port is { } port:
                return new(config.Tcp.Any(r => r.Port == port) ? config : config with { Tcp = [.. config.Tcp, new TcpRule { Port = port }] });

            case LocalOps.TcpForward when request.Port is { } port:
                if (RuleValidation.TcpForward(port, request.Destination, request.DstPort) is { } bad)
                {
                    return RuleChange.Fail(RuleFailure.Invalid, bad);
                }

                return Upsert(config, port, strict, new TcpRule { Port = port, Destination = request.Destination, DstPort = request.DstPort });

            case LocalOps.TcpReset when request.Port is { } port:
                return Upsert(config, port, strict, new TcpRule { Port = port });

            case LocalOps.TcpRelease when request.Port is { } port:
                if (strict && !config.Tcp.Any(r => r.Port == port))
                {
                    return RuleChange.Fail(RuleFailure.NotFound, $"port {port} is not leased to this tunnel");
                }

                return new(config with { Tcp = [.. config.Tcp.Where(r => r.Port != port)] });

            default:
                return RuleChange.Fail(RuleFailure.Invalid, $"bad rule request '{request.Op}'");
        }
    }

    public static bool SameDomain(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static RuleChange Upsert(AgentConfig config, int port, bool strict, TcpRule rule)
    {
        if (strict && !config.Tcp.Any(r => r.Port == port))
        {
            return RuleChange.Fail(RuleFailure.NotFound, $"port {port} is not leased to this tunnel (run tcp allocate)");
        }

        return new(config with { Tcp = [.. config.Tcp.Where(r => r.Port != port), rule] });
    }
}
