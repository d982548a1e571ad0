namespace Spokes.Tunnel.Control;

/// <summary>
/// Which <see cref="HttpRule"/> options are enforced, and by whom. The agent serves <c>--webroot</c>,
/// <c>--host-header</c>, <c>--password</c>, <c>--basic-user/--basic-pass</c> and <c>--cert/--key</c> itself (an
/// agent that names <see cref="AgentFeatures.HttpOptions"/>); the edge enforces <c>--redirect</c> and the
/// firewall lists. An option nobody enforces is refused — by the agent's CLI and by the node, which also sees rules
/// saved by older agents — rather than stored: a rule saved with <c>--password</c> that serves its site
/// unprotected is worse than no rule.
/// </summary>
public static class RuleSupport
{
    /// <summary>What the agent sends the node instead of a password's hash: the hash never leaves the agent.</summary>
    public const string SecretPlaceholder = "(set on the agent)";

    /// <summary>One line naming the first option that is not enforced for an agent with these features, or null.</summary>
    public static string? NotEnforced(HttpRule rule, IReadOnlyCollection<string>? agentFeatures)
    {
        bool agentServes = agentFeatures?.Contains(AgentFeatures.HttpOptions) == true;
        string? option = rule switch
        {
            _ when agentServes => null,
            { LetsEncrypt: true } => "--letsencrypt",
            { Webroot: not null } => "--webroot",
            { HostHeader: not null } => "--host-header",
            { Password: not null } => "--password",
            { BasicUser: not null } or { BasicPass: not null } => "--basic-user/--basic-pass",
            { CertFile: not null } or { KeyFile: not null } => "--cert/--key",
            _ => null,
        };
        return option is null ? null : $"{option} is not supported yet: it would not be enforced, so the rule is refused";
    }

    /// <summary>One line naming options that do not make sense together, or null.</summary>
    public static string? Inconsistent(HttpRule rule) => rule switch
    {
        { Redirect: true, TlsPort: null, CertFile: null, LetsEncrypt: false } =>
            "--redirect sends plain-HTTP visitors to https://DOMAIN: the rule needs --tls (or --cert/--key, --letsencrypt) for them to land on",
        { CertFile: not null, TlsPort: not null } =>
            "--cert/--key terminate TLS on the agent, --tls passes it through to the service: use one of them",
        { LetsEncrypt: true, TlsPort: not null } =>
            "--letsencrypt terminates TLS on the agent, --tls passes it through to the service: use one of them",
        { LetsEncrypt: true, HttpPort: null, Webroot: null } => "--letsencrypt needs --http (or --webroot): the agent forwards the decrypted HTTP there",
        { LetsEncrypt: true } when rule.Domain.StartsWith("*.", StringComparison.Ordinal) =>
            "--letsencrypt cannot cover a wildcard domain (http-01 validation); use --cert/--key",
        { Webroot: not null, HttpPort: not null } or { Webroot: not null, TlsPort: not null } =>
            "--webroot serves files from the agent's disk instead of a service: --http and --tls do not apply",
        { CertFile: not null, HttpPort: null, Webroot: null } => "--cert/--key need --http (or --webroot): the agent forwards the decrypted HTTP there",
        { HttpPort: null, TlsPort: null, Webroot: null } => "the rule needs --http, --tls or --webroot",
        _ => null,
    };

    /// <summary>What a node holds instead of the paths of a certificate uploaded from the console (the agent knows them).</summary>
    public const string UploadedPlaceholder = "(uploaded to the agent)";

    /// <summary>The rule as the agent tells the node: password hashes replaced by <see cref="SecretPlaceholder"/>.</summary>
    public static HttpRule ForNode(HttpRule rule) => rule with
    {
        Password = rule.Password is null ? null : SecretPlaceholder,
        BasicPass = rule.BasicPass is null ? null : SecretPlaceholder,
    };
}
