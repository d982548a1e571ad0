using Spokes.Actors.Access;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Users;
using Spokes.Tunnel.Security;

namespace Spokes.Admin.Services;

/// <summary>
/// The administrators, managed from the console: the same admin requests as the CLI's, asked for by a signed-in
/// administrator who must be an enabled owner. An owner does not disable, demote or reset the 2FA of themselves
/// here (their own 2FA is on Account): locking oneself out takes the CLI. Quotas are for any administrator.
/// </summary>
public interface IUserAdministration
{
    /// <summary>Adds an administrator with a password the owner gives them (they change it on Account).</summary>
    Task<Outcome<string>> AddAdministratorAsync(string actingUserId, string email, string fullName, string password, UserRole role,
        bool twoFactor, string by);
    Task<Outcome<string>> SetDisabledAsync(string actingUserId, string userId, bool disabled, string by);
    Task<Outcome<string>> SetRoleAsync(string actingUserId, string userId, UserRole role, string by);
    /// <summary>Turns 2FA on (enrolment at the next sign-in), off, or resets it (a new enrolment at the next sign-in).</summary>
    Task<Outcome<string>> TwoFactorAsync(string actingUserId, string userId, TwoFactorChange change, string by);
    /// <summary>Ends every console session of another administrator.</summary>
    Task<Outcome<string>> EndSessionsAsync(string actingUserId, string userId, string by);
    /// <summary>Whether the user may manage administrators (an enabled owner).</summary>
    Task<bool> MayManageAsync(string actingUserId);
    /// <summary>A user's quota and what their tunnels use now (any administrator may read and set quotas).</summary>
    Task<Outcome<UserQuotaReply>> QuotaAsync(string userId);
    /// <summary>Sets every limit of a user's quota at once: null or an empty list is no limit.</summary>
    Task<Outcome<UserQuotaReply>> SetQuotaAsync(string userId, int? maxTunnels, int? maxPorts, IReadOnlyList<string> domains,
        long? monthlyBytes, string by);
    /// <summary>Each administrator's newest sign-in (absent: never signed in, or the cluster did not answer).</summary>
    Task<IReadOnlyDictionary<string, ConsoleSession>> LastSignInsAsync(IEnumerable<string> userIds);
}

public sealed class UserAdministration(AdminOperations operations, IAccountService accounts, IConsoleSessions sessions, HashingGate gate)
    : IUserAdministration
{
    public const int MaxFullName = 200;
    public const string OwnersOnly = "only an owner manages administrators";

    public async Task<Outcome<string>> AddAdministratorAsync(string actingUserId, string email, string fullName, string password,
        UserRole role, bool twoFactor, string by)
    {
        if (await RefusalAsync(actingUserId, null) is { } refused) return refused;
        email = email.Trim();
        if (!AdminOperations.LooksLikeEmail(email)) return Outcome<string>.Failure("enter a valid email address");
        if (fullName.Trim().Length > MaxFullName) return Outcome<string>.Failure($"the name is longer than {MaxFullName} characters");
        if (PasswordHasher.Weakness(password) is { } weak) return Outcome<string>.Failure(weak);
        string hash;
        try
        {
            hash = await gate.RunAsync(() => PasswordHasher.Hash(password));
        }
        catch (HashingBusyException)
        {
            return Outcome<string>.Failure("the server is busy checking sign-ins: try again in a moment");
        }
        var reply = await operations.HandleAsync(new AddUserRequest(email, fullName, hash, twoFactor, UserOrigin.Console, role), by);
        return reply.ToOutcome(r => r is AdminDone ? $"{email} added as {(role == UserRole.Owner ? "an owner" : "an admin")}" : null);
    }

    public async Task<Outcome<string>> SetDisabledAsync(string actingUserId, string userId, bool disabled, string by) =>
        await RefusalAsync(actingUserId, userId) ?? Done(await operations.HandleAsync(
            new SetUserDisabledRequest(new UserSelector(null, userId), disabled), by));

    public async Task<Outcome<string>> SetRoleAsync(string actingUserId, string userId, UserRole role, string by) =>
        await RefusalAsync(actingUserId, userId) ?? Done(await operations.HandleAsync(
            new SetUserRoleRequest(new UserSelector(null, userId), role), by));

    public async Task<Outcome<string>> TwoFactorAsync(string actingUserId, string userId, TwoFactorChange change, string by) =>
        await RefusalAsync(actingUserId, userId) ?? Done(await operations.HandleAsync(
            new TwoFactorRequest(new UserSelector(null, userId), change), by));

    public async Task<Outcome<string>> EndSessionsAsync(string actingUserId, string userId, string by)
    {
        if (await RefusalAsync(actingUserId, userId) is { } refused) return refused;
        var outcome = await accounts.EndSessionsAsync(userId, by);
        return outcome.Ok ? Outcome<string>.Success($"every console session of {outcome.Value!.Email} ended") : Outcome<string>.Failure(outcome.Error!);
    }

    public async Task<bool> MayManageAsync(string actingUserId) =>
        await accounts.GetUserAsync(actingUserId) is { IsOwner: true, Disabled: false };

    public async Task<Outcome<UserQuotaReply>> QuotaAsync(string userId) =>
        (await operations.HandleAsync(new UserQuotaRequest(new UserSelector(null, userId), null, null, null), "console"))
        .ToOutcome(r => r as UserQuotaReply);

    public async Task<Outcome<UserQuotaReply>> SetQuotaAsync(string userId, int? maxTunnels, int? maxPorts, IReadOnlyList<string> domains,
        long? monthlyBytes, string by) =>
        // The request reads null as "unchanged" and 0 or an empty list as "no limit": the form sets all four.
        (await operations.HandleAsync(new UserQuotaRequest(new UserSelector(null, userId), maxTunnels ?? 0, maxPorts ?? 0,
            [.. domains], monthlyBytes ?? 0), by)).ToOutcome(r => r as UserQuotaReply);

    public async Task<IReadOnlyDictionary<string, ConsoleSession>> LastSignInsAsync(IEnumerable<string> userIds)
    {
        var asked = userIds.Distinct().Select(async id => (id, last: await sessions.LastSignInAsync(id))).ToList();
        var found = await Task.WhenAll(asked);
        return found.Where(f => f.last is not null).ToDictionary(f => f.id, f => f.last!);
    }

    /// <summary>Why the acting user may not do this to <paramref name="targetId"/> (an administrator), or null.</summary>
    private async Task<Outcome<string>?> RefusalAsync(string actingUserId, string? targetId)
    {
        if (!await MayManageAsync(actingUserId)) return Outcome<string>.Failure(OwnersOnly);
        if (targetId is null) return null;
        if (targetId == actingUserId)
            return Outcome<string>.Failure("you cannot change this for yourself here: your own 2FA and sessions are on Account");
        var target = await accounts.GetUserAsync(targetId);
        if (target is null) return Outcome<string>.Failure("user not found");
        if (!target.IsAdmin) return Outcome<string>.Failure("tunnel users do not sign in: revoke their tokens to cut them off");
        return null;
    }

    private static Outcome<string> Done(IWireMessage reply) => reply.ToOutcome(r => (r as AdminDone)?.Message);
}
