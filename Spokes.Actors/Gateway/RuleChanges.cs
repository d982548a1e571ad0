using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

/// <summary>A rule change an administrator pushes to an online agent (CLI <c>tunnel rules</c>, console).
/// <paramref name="Allow"/> and <paramref name="Drop"/>: a rule's or a port's whole firewall lists (HttpFirewall,
/// TcpFirewall), canonical CIDR networks.
/// An HttpAdd from the console also names the options it edits: <paramref name="Webroot"/>, <paramref name="HostHeader"/>,
/// <paramref name="LetsEncrypt"/>, and an uploaded certificate (<paramref name="CertificatePem"/> + <paramref name="KeyPem"/>,
/// handed to the agent, never stored by a node); a certificate already on the agent stays as it is. Visitor auth
/// changes only with <paramref name="SetAuth"/>: then <paramref name="PasswordHash"/> and <paramref name="BasicUser"/> +
/// <paramref name="BasicPassHash"/> (PBKDF2 hashes computed in the browser; null = off) replace it.</summary>
public sealed record RuleChange(RuleAction Action, string? Domain = null, string? Destination = null, int? HttpPort = null,
    int? TlsPort = null, int? Port = null, int? DstPort = null, ImmutableList<string>? Allow = null, ImmutableList<string>? Drop = null,
    bool Redirect = false, string? Webroot = null, string? HostHeader = null, bool LetsEncrypt = false, string? CertificatePem = null,
    string? KeyPem = null, bool SetAuth = false, string? PasswordHash = null, string? BasicUser = null, string? BasicPassHash = null)
    : IWireMessage
{
    public override string ToString() => $"RuleChange {{ Action = {Action}, Domain = {Domain}, Port = {Port} }}";

    /// <summary>What the change does, for the audit trail: the action and its domain or port, never a secret.</summary>
    public string Summary() => $"{Action} {Domain ?? Port?.ToString(System.Globalization.CultureInfo.InvariantCulture)}".TrimEnd();

    /// <summary>One line saying what is wrong with the change, or null.</summary>
    public string? Problem() => Action switch
    {
        RuleAction.HttpAdd when string.IsNullOrWhiteSpace(Domain) || string.IsNullOrWhiteSpace(Destination) =>
            "an HTTP rule needs a domain and a destination",
        RuleAction.HttpAdd when HttpPort is null && TlsPort is null && string.IsNullOrWhiteSpace(Webroot) =>
            "an HTTP rule needs an HTTP port, a TLS port or a webroot",
        RuleAction.HttpAdd when HttpPort is < 1 or > 65535 || TlsPort is < 1 or > 65535 => "ports are 1-65535",
        RuleAction.HttpAdd when CertificatePem is null != KeyPem is null => "an uploaded certificate needs its chain and its private key",
        RuleAction.HttpAdd when CertificatePem?.Length > 65536 || KeyPem?.Length > 65536 => "an uploaded certificate is at most 64 KiB of PEM",
        RuleAction.HttpAdd when LetsEncrypt && CertificatePem is not null => "Let's Encrypt or an uploaded certificate, not both",
        RuleAction.HttpAdd when SetAuth && (PasswordHash is { } p && !Spokes.Tunnel.Security.PasswordHasher.LooksHashed(p)
                                            || BasicPassHash is { } b && !Spokes.Tunnel.Security.PasswordHasher.LooksHashed(b)) =>
            "visitor passwords arrive hashed (by the browser), never in clear",
        RuleAction.HttpAdd when SetAuth && string.IsNullOrWhiteSpace(BasicUser) != BasicPassHash is null =>
            "basic auth needs a user name and a password",
        RuleAction.HttpAdd when SetAuth && BasicUser is { } user && user.Contains(':') => "a basic auth user name has no ':'",
        RuleAction.HttpRemove when string.IsNullOrWhiteSpace(Domain) => "which domain?",
        RuleAction.TcpForward when Port is null || string.IsNullOrWhiteSpace(Destination) || DstPort is null or < 1 or > 65535 =>
            "a forward needs a port, a destination and a destination port",
        RuleAction.TcpReset or RuleAction.TcpRelease or RuleAction.TcpFirewall when Port is null => "which port?",
        RuleAction.HttpFirewall when string.IsNullOrWhiteSpace(Domain) => "which domain?",
        RuleAction.HttpFirewall or RuleAction.TcpFirewall when Allow is null || Drop is null => "give the allow and the drop list",
        _ => null,
    };
}

public enum RuleAction { HttpAdd, HttpRemove, TcpAllocate, TcpForward, TcpReset, TcpRelease, HttpFirewall, TcpFirewall }

/// <summary>Shows a tunnel's rules and, with a change, pushes it to the agent first.</summary>
public sealed record TunnelRulesRequest(string TunnelId, RuleChange? Change) : IAdminRequest;

public sealed record TunnelRulesReply(string TunnelId, bool Online, string Message, ImmutableList<HttpRuleInfo> Http,
    ImmutableList<PortDto> Ports, ImmutableDictionary<int, FirewallInfo>? PortFirewalls = null,
    ImmutableDictionary<string, Tunnels.ServiceState>? Services = null) : IWireMessage;

/// <summary>Delivers a rule change to the node holding the tunnel's session, which applies it through the
/// agent's control channel; answers the agent's result (or a refusal when the tunnel is offline, or naming the node
/// that did not answer within <paramref name="wait"/>).</summary>
public interface IRulePusher
{
    Task<IWireMessage> PushAsync(string tunnelId, RuleChange change, TimeSpan wait, CancellationToken cancellationToken);
}

/// <summary>For a process without a data plane.</summary>
public sealed class NoRulePusher : IRulePusher
{
    public Task<IWireMessage> PushAsync(string tunnelId, RuleChange change, TimeSpan wait, CancellationToken cancellationToken) =>
        Task.FromResult<IWireMessage>(new Refusal(ErrorCode.Unavailable, "this node has no data plane"));
}
