namespace Spokes.Tunnel.Control;

/// <summary>
/// Which <see cref="HttpRule"/> options this release enforces. An option that is parsed but not enforced is
/// refused — by the agent's CLI and by the node, which also sees rules saved by older agents — rather than
/// stored: a rule saved with <c>--password</c> that serves its site unprotected is worse than no rule.
/// </summary>
public static class RuleSupport
{
    /// <summary>One line naming the first option that is not enforced yet, or null.</summary>
    public static string? NotEnforced(HttpRule rule)
    {
        string? option = rule switch
        {
            { Webroot: not null } => "--webroot",
            { HostHeader: not null } => "--host-header",
            { Password: not null } => "--password",
            { BasicUser: not null } or { BasicPass: not null } => "--basic-user/--basic-pass",
            { LetsEncrypt: true } => "--letsencrypt",
            { CertFile: not null } or { KeyFile: not null } => "--cert/--key",
            _ => null,
        };
        return option is null ? null : $"{option} is not supported yet: it would not be enforced, so the rule is refused";
    }

    /// <summary>One line naming options that do not make sense together, or null.</summary>
    public static string? Inconsistent(HttpRule rule) =>
        rule is { Redirect: true, TlsPort: null }
            ? "--redirect sends plain-HTTP visitors to https://DOMAIN: the rule needs --tls for them to land on"
            : null;
}
