using Spokes.Tunnel.Security;
using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

/// <summary>What the console's sign-in, first-run and account pages need from the user entities. Passwords
/// are hashed and verified here, in the node that received them; TOTP seeds are sealed here.</summary>
public interface IAccountService
{
    Task<UserState?> GetUserAsync(string userId);
    /// <summary>The admin whose password matches, or null (same cost whether or not the email exists).</summary>
    Task<UserState?> VerifyPasswordAsync(string email, string password);
    Task<bool> AdminExistsAsync();
    Task<Outcome<UserState>> CreateFirstAdminAsync(string email, string fullName, string password, bool twoFactor);
    /// <summary>Consumes a TOTP time step: refused when it (or a later one) was already used.</summary>
    Task<Outcome<UserState>> AcceptTotpStepAsync(string userId, long step);
    Task<Outcome<UserState>> CompleteEnrolmentAsync(string userId, string totpSecret, long acceptedStep);
    string? OpenTotpSecret(UserState user);
    Task<Outcome<UserState>> ChangePasswordAsync(string userId, string currentPassword, string newPassword);
    Task<Outcome<UserState>> ChangeFullNameAsync(string userId, string fullName, string by);
    /// <summary>Signing out: every console session of the user ends, on every node (a copied cookie included).</summary>
    Task<Outcome<UserState>> EndSessionsAsync(string userId, string by);
    /// <summary>The user's own second factor, with their current password: on or a new enrolment (both at the next
    /// sign-in), or off. Any change ends every session of the user, this one included.</summary>
    Task<Outcome<UserState>> ChangeOwnTwoFactorAsync(string userId, string currentPassword, TwoFactorChange change, string by);
}

public sealed class AccountService(SpokesRegions regions, SecretBox secrets, HashingGate gate) : IAccountService
{
    private const string By = "console";

    /// <summary>The refusal of <see cref="ChangePasswordAsync"/> when the current password does not match.</summary>
    public const string WrongCurrentPassword = "the current password is wrong";
    // Verified against when the email is unknown, so that timing does not reveal which emails exist.
    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(SecretValues.NewToken()));
    private readonly SemaphoreSlim _setup = new(1, 1);

    public async Task<UserState?> GetUserAsync(string userId) =>
        await AskAsync(regions.Users, new GetUser(userId)) is UserReply { User.Exists: true } r ? r.User : null;

    public async Task<UserState?> VerifyPasswordAsync(string email, string password)
    {
        var user = await GetUserAsync(UserIds.For(email));
        var hash = user is { IsAdmin: true, PasswordHash: { } h } ? h : DummyHash.Value;
        // A disabled administrator's password is still checked (and the user returned), so that the sign-in page can
        // say the account is disabled to whoever knows the password, and only to them.
        var ok = await gate.RunAsync(() => PasswordHasher.Verify(password, hash));
        return ok && user is { IsAdmin: true, PasswordHash: not null } ? user : null;
    }

    public async Task<bool> AdminExistsAsync() =>
        (await regions.Catalog.Ask<UserList>(new ListUsers(), AdminOperations.AskTimeout)).Users.Any(u => u.IsAdmin);

    public async Task<Outcome<UserState>> CreateFirstAdminAsync(string email, string fullName, string password, bool twoFactor)
    {
        email = email.Trim();
        if (!LooksLikeEmail(email)) return Outcome<UserState>.Failure("enter a valid email address");
        if (PasswordHasher.Weakness(password) is { } weak) return Outcome<UserState>.Failure(weak);
        // One setup at a time on this node; the entity refuses a second admin with the same email anyway.
        await _setup.WaitAsync();
        try
        {
            if (await AdminExistsAsync()) return Outcome<UserState>.Failure("an administrator already exists");
            var hash = await gate.RunAsync(() => PasswordHasher.Hash(password));
            var reply = await AskAsync(regions.Users, new CreateUser(UserIds.For(email), email, fullName.Trim(),
                UserOrigin.Setup, hash, twoFactor, "setup"));
            return reply.ToOutcome(r => (r as UserReply)?.User);
        }
        finally
        {
            _setup.Release();
        }
    }

    public async Task<Outcome<UserState>> AcceptTotpStepAsync(string userId, long step) =>
        (await AskAsync(regions.Users, new AcceptTotpStep(userId, step, By))).ToOutcome(r => (r as UserReply)?.User);

    public async Task<Outcome<UserState>> CompleteEnrolmentAsync(string userId, string totpSecret, long acceptedStep) =>
        (await AskAsync(regions.Users, new CompleteTwoFactorEnrolment(userId, secrets.Seal(totpSecret), acceptedStep, By)))
        .ToOutcome(r => (r as UserReply)?.User);

    public string? OpenTotpSecret(UserState user) => user.SealedTotpSecret is { } s ? secrets.Open(s) : null;

    public async Task<Outcome<UserState>> ChangePasswordAsync(string userId, string currentPassword, string newPassword)
    {
        var user = await GetUserAsync(userId);
        if (user?.PasswordHash is null || !await gate.RunAsync(() => PasswordHasher.Verify(currentPassword, user.PasswordHash)))
            return Outcome<UserState>.Failure(WrongCurrentPassword);
        if (PasswordHasher.Weakness(newPassword) is { } weak) return Outcome<UserState>.Failure(weak);
        var newHash = await gate.RunAsync(() => PasswordHasher.Hash(newPassword));
        return (await AskAsync(regions.Users, new ChangePassword(userId, newHash, user.Email)))
            .ToOutcome(r => (r as UserReply)?.User);
    }

    public async Task<Outcome<UserState>> ChangeFullNameAsync(string userId, string fullName, string by)
    {
        fullName = fullName.Trim();
        if (fullName.Length > 200) return Outcome<UserState>.Failure("the name is too long");
        return (await AskAsync(regions.Users, new ChangeFullName(userId, fullName, by))).ToOutcome(r => (r as UserReply)?.User);
    }

    public async Task<Outcome<UserState>> EndSessionsAsync(string userId, string by) =>
        (await AskAsync(regions.Users, new EndSessions(userId, by))).ToOutcome(r => (r as UserReply)?.User);

    public async Task<Outcome<UserState>> ChangeOwnTwoFactorAsync(string userId, string currentPassword, TwoFactorChange change, string by)
    {
        var user = await GetUserAsync(userId);
        if (user?.PasswordHash is null || !await gate.RunAsync(() => PasswordHasher.Verify(currentPassword, user.PasswordHash)))
            return Outcome<UserState>.Failure(WrongCurrentPassword);
        return (await AskAsync(regions.Users, new SetTwoFactor(userId, change, by))).ToOutcome(r => (r as UserReply)?.User);
    }

    internal static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at < email.Length - 1 && !email.Any(char.IsWhiteSpace) && email.Length <= 254;
    }

    private static async Task<IWireMessage> AskAsync(IActorRef target, object message) =>
        await target.Ask<IWireMessage>(message, AdminOperations.AskTimeout);
}
