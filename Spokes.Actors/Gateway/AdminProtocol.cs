using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

/// <summary>A request from the CLI (through the cluster client) or the console to the cluster.</summary>
public interface IAdminRequest : IWireMessage;

/// <summary>Names a user by email (or agent id) or by its id.</summary>
public sealed record UserSelector(string? Email, string? Id)
{
    public string EntityId => Id is { Length: > 0 } ? Id.Trim().ToLowerInvariant() : UserIds.For(Email ?? "");
    public override string ToString() => Id is { Length: > 0 } ? $"id {Id}" : $"'{Email}'";
}

public sealed record AddUserRequest(string Email, string FullName, string PasswordHash, bool TwoFactor, string Origin,
    UserRole Role = UserRole.Owner) : IAdminRequest;
/// <summary>Disables an administrator (sign-in refused, sessions ended) or enables them again.</summary>
public sealed record SetUserDisabledRequest(UserSelector User, bool Disabled) : IAdminRequest;
/// <summary>Makes an administrator an owner or an admin; the last enabled owner stays one.</summary>
public sealed record SetUserRoleRequest(UserSelector User, UserRole Role) : IAdminRequest;
public sealed record ListUsersRequest(bool All) : IAdminRequest;
public sealed record ChangePasswordRequest(UserSelector User, string PasswordHash) : IAdminRequest;
public sealed record TwoFactorRequest(UserSelector User, TwoFactorChange Change) : IAdminRequest;
/// <summary>Shows a user's quota and what its tunnels use; with values, sets them first (0 / empty list: no limit).</summary>
public sealed record UserQuotaRequest(UserSelector User, int? MaxTunnels, int? MaxPorts, ImmutableList<string>? Domains,
    long? MonthlyBytes = null) : IAdminRequest;
public sealed record UserQuotaReply(string Id, string Email, int? MaxTunnels, int? MaxPorts, ImmutableList<string> Domains, int Tunnels, int Ports,
    ImmutableList<string> DomainsInUse, long? MonthlyBytes = null, long BytesThisMonth = 0) : IWireMessage;
/// <param name="MaxUses">How many agents it may register (null: no limit).</param>
/// <param name="Expires">From when it registers none (null: never).</param>
public sealed record CreateRegistrationRequest(string Description, int? MaxUses = null, DateTimeOffset? Expires = null) : IAdminRequest;
public sealed record ListRegistrationsRequest : IAdminRequest;
public sealed record RemoveRegistrationRequest(string? Id, bool All) : IAdminRequest;
public sealed record CreateTokenRequest(string Hostname) : IAdminRequest;
public sealed record ListTokensRequest : IAdminRequest;
/// <param name="Scope">"read" or "admin".</param>
public sealed record CreateApiKeyRequest(string Scope, string Description) : IAdminRequest;
public sealed record ListApiKeysRequest : IAdminRequest;
public sealed record RemoveApiKeyRequest(string Id) : IAdminRequest;
public sealed record RemoveTokenRequest(string? Id, bool All) : IAdminRequest;
public sealed record ListTunnelsRequest(bool OnlineOnly, bool All) : IAdminRequest;
public sealed record ShutdownTunnelRequest(string Id) : IAdminRequest;
public sealed record ListPortsRequest : IAdminRequest;
public sealed record CleanRequest(bool CheckOnly) : IAdminRequest;
public sealed record AuditRequest(DateTimeOffset? Since) : IAdminRequest;
public sealed record ClusterStatusRequest : IAdminRequest;
/// <summary>Drains the node named as <c>cluster status</c> prints it (host:port of its cluster address).</summary>
public sealed record DrainNodeRequest(string Node) : IAdminRequest;
/// <summary>To a node's <c>/user/drain</c>: drain this node, then stop it.</summary>
public sealed record DrainThisNode(string By) : IWireMessage;

/// <summary>Success with a line for the operator (e.g. "User created!").</summary>
public sealed record AdminDone(string Message) : IWireMessage;
/// <summary>A new secret value (registration or auth token), shown once by the CLI.</summary>
public sealed record AdminSecretCreated(string Id, string Value) : IWireMessage;
public sealed record AdminCount(int Count) : IWireMessage;
public sealed record AdminCleanReport(int Count, ImmutableList<string> Issues) : IWireMessage;

/// <param name="Role">"owner" or "admin" for administrators, empty for tunnel users.</param>
public sealed record UserDto(string Id, string Email, string Fullname, string Origin, DateTimeOffset Created, bool TwoFactor,
    string Role = "", bool Disabled = false)
{
    public static UserDto Of(UserState u) =>
        new(u.Id, u.Email, u.FullName, u.Origin, u.Created, u.TwoFactor, u.IsAdmin ? UserRoles.Name(u.Role) : "", u.Disabled);
}
public sealed record RegistrationDto(string Id, DateTimeOffset Created, string Description, string Value, bool Active, int Uses = 0,
    int? MaxUses = null, DateTimeOffset? Expires = null);
public sealed record TokenDto(string Id, DateTimeOffset Created, string User, string Tunnel, string Hostname, string Value, bool Active);
/// <summary>An API key in listings: never its value (shown once, by <c>apikey create</c>), only <see cref="Value"/> then.</summary>
public sealed record ApiKeyDto(string Id, DateTimeOffset Created, string Scope, string Description, string CreatedBy, bool Active)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }
}
public sealed record TunnelDto(string Id, string User, string Hostname, bool Online, string Address, long UptimeSeconds,
    long BytesDaily, long BytesMonthly, DateTimeOffset Created, string State, ImmutableList<int> Ports, string Node,
    ImmutableList<Tunnels.ServiceState>? Services = null, string? AutoHostname = null, ImmutableList<string>? Domains = null,
    DateTimeOffset? LastSeen = null);
public sealed record PortDto(int Port, string User, string TunnelId, bool Online, long UptimeSeconds, long BytesDaily,
    long BytesMonthly, string Destination);
public sealed record AuditDto(DateTimeOffset At, string Entity, string By, string Event);
/// <summary>A node in <c>cluster status</c>: membership, readiness (as its /readyz), where agents dial it, and its
/// load — agent connections and tunnels with a link there, visitor connections and bytes relayed per second.</summary>
public sealed record NodeDto(string Address, string Status, bool Leader, bool Self, ImmutableList<string> Roles, int Tunnels)
{
    public bool Ready { get; init; }
    public bool Draining { get; init; }
    public string NotReadyReason { get; init; } = "";
    public string Advertise { get; init; } = "";
    public int AgentConnections { get; init; }
    public double VisitorsPerSecond { get; init; }
    public double BytesPerSecond { get; init; }
}

public sealed record UsersReply(ImmutableList<UserDto> Users) : IWireMessage;
public sealed record RegistrationsReply(ImmutableList<RegistrationDto> Registrations) : IWireMessage;
public sealed record TokensReply(ImmutableList<TokenDto> Tokens) : IWireMessage;
public sealed record ApiKeysReply(ImmutableList<ApiKeyDto> Keys) : IWireMessage;
public sealed record TunnelsReply(ImmutableList<TunnelDto> Tunnels) : IWireMessage;
public sealed record PortsReply(ImmutableList<PortDto> Ports) : IWireMessage;
public sealed record AuditReply(ImmutableList<AuditDto> Entries) : IWireMessage;
public sealed record ClusterReply(ImmutableList<NodeDto> Nodes) : IWireMessage;

/// <summary>Shows the tunnel options in force; with values, changes them cluster-wide first.</summary>
public sealed record TunnelOptionsRequest(int? MaxPoolSize, int? MaxPorts, bool? Monitor = null, int? MonitorIntervalSeconds = null,
    bool? AutoHostnames = null) : IAdminRequest;
public sealed record TunnelOptionsReply(int MaxPoolSize, int MaxPorts, bool Monitor = false, int MonitorIntervalSeconds = 60,
    bool AutoHostnames = false) : IWireMessage;

/// <summary>Shows the SOCKS entry point in force; with values, changes it cluster-wide first (null: unchanged;
/// <paramref name="Allow"/> replaces the whole list, empty clears it).</summary>
public sealed record SocksSettingsRequest(int? Port, int? TlsPort, string[]? Allow) : IAdminRequest;
public sealed record SocksSettingsReply(int Port, int TlsPort, string[] Allow) : IWireMessage;

/// <summary>Shows the server's domain; with <paramref name="Name"/>, moves the cluster to it after checking that it
/// resolves to this node and the ports answer (<paramref name="Force"/>: without checking).</summary>
public sealed record DomainSettingsRequest(string? Name, bool Force) : IAdminRequest;
/// <summary>The domain in force and what the check found (empty when nothing was changed).</summary>
public sealed record DomainSettingsReply(string Domain, string Check) : IWireMessage;
