using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Users;
using Spokes.Tunnel.Security;

namespace Spokes.Admin.Services;

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

public sealed class AccountService(AdminOperations operations, SecretBox secrets, HashingGate gate) : IAccountService
{
    private const string By = "console";

    /// <summary>The refusal of <see cref="ChangePasswordAsync"/> when the current password does not match.</summary>
    public const string WrongCurrentPassword = "the current password is wrong";
    // Verified against when the email is unknown, so that timing does not reveal which emails exist.
    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(SecretValues.NewToken()));
    private readonly SemaphoreSlim _setup = new(1, 1);

    public async Task<UserState?> GetUserAsync(string userId) =>
        await operations.HandleAsync(new GetUserRequest(userId), By) is UserReply r ? r.User : null;

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
        await operations.HandleAsync(new AdminExistsRequest(), By) switch
        {
            AdminExistsReply r => r.Exists,
            Refusal refusal => throw new TimeoutException(refusal.Message),
            var other => throw new InvalidOperationException($"unexpected {other.GetType().Name}"),
        };

    public async Task<Outcome<UserState>> CreateFirstAdminAsync(string email, string fullName, string password, bool twoFactor)
    {
        email = email.Trim();
        if (!AdminOperations.LooksLikeEmail(email)) return Outcome<UserState>.Failure("enter a valid email address");
        if (PasswordHasher.Weakness(password) is { } weak) return Outcome<UserState>.Failure(weak);
        // One setup at a time on this node; the entity refuses a second admin with the same email anyway.
        await _setup.WaitAsync();
        try
        {
            if (await AdminExistsAsync()) return Outcome<UserState>.Failure("an administrator already exists");
            var hash = await gate.RunAsync(() => PasswordHasher.Hash(password));
            var created = await operations.HandleAsync(new AddUserRequest(email, fullName, hash, twoFactor, UserOrigin.Setup), "setup");
            if (created is Refusal refusal) return Outcome<UserState>.Failure(refusal.Message);
            return await GetUserAsync(UserIds.For(email)) is { } user ? Outcome<UserState>.Success(user)
                : Outcome<UserState>.Failure("the administrator was created but cannot be read yet; sign in");
        }
        finally
        {
            _setup.Release();
        }
    }

    public Task<Outcome<UserState>> AcceptTotpStepAsync(string userId, long step) =>
        ChangeAsync(new AccountChangeRequest(userId, AccountChange.AcceptTotpStep, Step: step), By);

    public Task<Outcome<UserState>> CompleteEnrolmentAsync(string userId, string totpSecret, long acceptedStep) =>
        ChangeAsync(new AccountChangeRequest(userId, AccountChange.CompleteEnrolment, secrets.Seal(totpSecret), acceptedStep), By);

    public string? OpenTotpSecret(UserState user) => user.SealedTotpSecret is { } s ? secrets.Open(s) : null;

    public async Task<Outcome<UserState>> ChangePasswordAsync(string userId, string currentPassword, string newPassword)
    {
        var user = await GetUserAsync(userId);
        if (user?.PasswordHash is null || !await gate.RunAsync(() => PasswordHasher.Verify(currentPassword, user.PasswordHash)))
            return Outcome<UserState>.Failure(WrongCurrentPassword);
        if (PasswordHasher.Weakness(newPassword) is { } weak) return Outcome<UserState>.Failure(weak);
        var newHash = await gate.RunAsync(() => PasswordHasher.Hash(newPassword));
        return await ChangeAsync(new AccountChangeRequest(userId, AccountChange.Password, newHash), user.Email);
    }

    public async Task<Outcome<UserState>> ChangeFullNameAsync(string userId, string fullName, string by)
    {
        fullName = fullName.Trim();
        if (fullName.Length > 200) return Outcome<UserState>.Failure("the name is too long");
        return await ChangeAsync(new AccountChangeRequest(userId, AccountChange.FullName, fullName), by);
    }

    public Task<Outcome<UserState>> EndSessionsAsync(string userId, string by) =>
        ChangeAsync(new AccountChangeRequest(userId, AccountChange.EndSessions), by);

    public async Task<Outcome<UserState>> ChangeOwnTwoFactorAsync(string userId, string currentPassword, TwoFactorChange change, string by)
    {
        var user = await GetUserAsync(userId);
        if (user?.PasswordHash is null || !await gate.RunAsync(() => PasswordHasher.Verify(currentPassword, user.PasswordHash)))
            return Outcome<UserState>.Failure(WrongCurrentPassword);
        return await ChangeAsync(new AccountChangeRequest(userId, AccountChange.TwoFactor, TwoFactor: change), by);
    }

    private async Task<Outcome<UserState>> ChangeAsync(AccountChangeRequest change, string by) =>
        (await operations.HandleAsync(change, by)).ToOutcome(r => (r as UserReply)?.User);
}
