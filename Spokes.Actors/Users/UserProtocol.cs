using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Users;

public static class UserOrigin
{
    public const string AdminCli = "Admin CLI";
    public const string Setup = "Setup";
    public const string Console = "Console";
    public const string TunnelRegistration = "Tunnel Registration";
}

public static class UserIds
{
    /// <summary>A user's entity id follows from its normalized email (or agent id), so the entity itself
    /// enforces uniqueness: no index, no race.</summary>
    public static string For(string emailOrId) => SecretValues.DeriveId("user", Normalize(emailOrId));
    public static string Normalize(string emailOrId) => emailOrId.Trim().ToLowerInvariant();
}

public interface IUserMessage : IEntityMessage;

public sealed record CreateUser(string EntityId, string Email, string FullName, string Origin, string? PasswordHash,
    bool TwoFactor, string By, UserRole Role = UserRole.Owner) : IUserMessage;
public sealed record EnsureTunnelUser(string EntityId, string Name, string By) : IUserMessage;
public sealed record ChangePassword(string EntityId, string PasswordHash, string By) : IUserMessage;
public sealed record ChangeFullName(string EntityId, string FullName, string By) : IUserMessage;
/// <summary>Ends every console session of the user (signing out): its security stamp moves on.</summary>
public sealed record EndSessions(string EntityId, string By) : IUserMessage;
public sealed record SetTwoFactor(string EntityId, TwoFactorChange Change, string By) : IUserMessage;
/// <summary>Stores an enrolled TOTP seed (sealed) once the user proved a code from it.</summary>
public sealed record CompleteTwoFactorEnrolment(string EntityId, string SealedSecret, long AcceptedStep, string By) : IUserMessage;
/// <summary>Records an accepted TOTP time step so that a code is accepted once only.</summary>
public sealed record AcceptTotpStep(string EntityId, long Step, string By) : IUserMessage;
public sealed record GetUser(string EntityId) : IUserMessage;
/// <summary>Disables (sign-in refused, every console session ended) or enables an administrator.</summary>
public sealed record SetUserDisabled(string EntityId, bool Disabled, string By) : IUserMessage;
public sealed record SetUserRole(string EntityId, UserRole Role, string By) : IUserMessage;
public sealed record SetUserQuota(string EntityId, UserQuota Quota, string By) : IUserMessage;

public enum TwoFactorChange { Enable, Disable, Reset }

/// <summary>What an administrator may do in the console. An owner manages the administrators (adds them, disables
/// them, resets their 2FA, changes roles); an admin does everything else. The first-run admin and the admins the CLI
/// adds are owners (the CLI holds the cluster's certificate: it is the root of trust); the console picks the role.</summary>
public enum UserRole { Owner, Admin }

public sealed record UserReply(UserState User) : IWireMessage;

public sealed record UserCreated(string Id, string Email, string FullName, string Origin, string? PasswordHash,
    bool TwoFactor, DateTimeOffset At, string By) : IDomainEvent
{
    /// <summary>Owner for the events written before roles existed.</summary>
    public UserRole Role { get; init; }

    public string Describe() => Origin == UserOrigin.TunnelRegistration
        ? $"user {Email} created ({Origin})"
        : $"user {Email} created ({Origin}, {UserRoles.Name(Role)}{(TwoFactor ? ", 2FA" : "")})";
}

public sealed record UserDisabledChanged(string Id, bool Disabled, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => Disabled ? "disabled: sign-in refused, every console session ended" : "enabled";
}

public sealed record UserRoleChanged(string Id, UserRole Role, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"role set to {UserRoles.Name(Role)}";
}

public static class UserRoles
{
    public static string Name(UserRole role) => role == UserRole.Owner ? "owner" : "admin";

    public static UserRole? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "owner" => UserRole.Owner,
        "admin" or "administrator" => UserRole.Admin,
        _ => null,
    };
}
public sealed record PasswordChanged(string Id, DateTimeOffset At, string By) : IDomainEvent
{
    public string PasswordHash { get; init; } = "";
    public string Describe() => "password changed";
}
public sealed record FullNameChanged(string Id, string FullName, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"full name set to '{FullName}'";
}
public sealed record SessionsEnded(string Id, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => "signed out: every console session ended";
}

public sealed record TwoFactorChanged(string Id, TwoFactorChange Change, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"two-factor {Change.ToString().ToLowerInvariant()}";
}
public sealed record TwoFactorEnrolled(string Id, string SealedSecret, long AcceptedStep, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => "two-factor enrolment completed";
}
/// <summary>Domain patterns: an exact name (<c>app.example.com</c>) or <c>*.example.com</c> (any name below it, not the
/// name itself), compared without case.</summary>
public static class DomainPatterns
{
    public static bool Matches(string pattern, string domain) => pattern.StartsWith("*.", StringComparison.Ordinal)
        ? domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && domain.Length > pattern.Length - 1
        : string.Equals(domain, pattern, StringComparison.OrdinalIgnoreCase);

    public static bool AnyMatches(IEnumerable<string> patterns, string domain) => patterns.Any(p => Matches(p, domain));

    /// <summary>Whether <paramref name="pattern"/> is a name or <c>*.</c> and a name.</summary>
    public static bool IsValid(string pattern) =>
        Uri.CheckHostName(pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern) == UriHostNameType.Dns;
}

/// <summary>What a user's tunnels may hold together, cluster-wide (null or empty: no limit).</summary>
/// <param name="Domains">Domain patterns the user's tunnels may claim: <c>app.example.com</c> or <c>*.example.com</c>
/// (any name below it).</param>
/// <param name="MonthlyBytes">Bytes the user's tunnels may relay together per UTC month; once reached, new visitor
/// connections to them are refused until the month ends or the cap is raised (open ones run on).</param>
public sealed record UserQuota(int? MaxTunnels = null, int? MaxPorts = null, System.Collections.Immutable.ImmutableList<string>? Domains = null,
    long? MonthlyBytes = null)
{
    public static readonly UserQuota None = new();

    public bool AllowsDomain(string domain) => Domains is not { Count: > 0 } patterns || DomainPatterns.AnyMatches(patterns, domain);

    public override string ToString() =>
        $"tunnels {MaxTunnels?.ToString() ?? "any"}, ports {MaxPorts?.ToString() ?? "any"}, domains {(Domains is { Count: > 0 } d ? string.Join(",", d) : "any")}, "
        + $"monthly bytes {MonthlyBytes?.ToString() ?? "any"}";
}

public sealed record UserQuotaChanged(string Id, UserQuota Quota, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"quota set: {Quota}";
}

public sealed record TotpStepAccepted(string Id, long Step, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => "signed in with a one-time code";
}
