using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Admin.Hosting;

namespace Spokes.Admin.Security;

/// <summary>The first-run "Configure" path: open only while <c>ADMIN_SECRET</c> is set and no admin exists.</summary>
public sealed class FirstRun(ConsoleOptions options, IAccountService accounts, SignInThrottle throttle)
{
    private const string ThrottleAccount = "(setup)";

    public async Task<bool> IsOpenAsync() => !string.IsNullOrEmpty(options.AdminSecret) && !await accounts.AdminExistsAsync();

    /// <summary>Constant-time comparison with the configured secret; failures count against the address.</summary>
    public bool Unlocks(string? secret, string address)
    {
        if (string.IsNullOrEmpty(options.AdminSecret) || throttle.IsBlocked(ThrottleAccount, address)) return false;
        if (secret is not null && SecretValues.FixedTimeEquals(secret, options.AdminSecret)) return true;
        throttle.RecordFailure(ThrottleAccount, address);
        return false;
    }

    public async Task<string?> CreateAdminAsync(SetupForm form, string address)
    {
        if (!await IsOpenAsync()) return "the first administrator already exists";
        if (!Unlocks(form.Secret, address)) return "the admin secret is wrong";
        if (form.Password != form.Confirm) return "the passwords do not match";
        var outcome = await accounts.CreateFirstAdminAsync(form.Email ?? "", form.FullName ?? "", form.Password ?? "", form.TwoFactor);
        return outcome.Error;
    }
}

/// <summary>The fields of the first-run form.</summary>
public sealed class SetupForm
{
    public string? Secret { get; set; }
    public string? Email { get; set; }
    public string? FullName { get; set; }
    public string? Password { get; set; }
    public string? Confirm { get; set; }
    public bool TwoFactor { get; set; }
    /// <summary>Set by the second step of the form (the secret was accepted once already).</summary>
    public bool Unlocked { get; set; }
}
