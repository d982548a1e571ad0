using Microsoft.AspNetCore.DataProtection;
using Spokes.Actors.Access;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Admin.Hosting;
using Spokes.Admin.Services;

namespace Spokes.Admin.Security;

/// <summary>The first-run "Configure" path: open only while <c>ADMIN_SECRET</c> is set and no admin exists. Once the
/// secret is accepted, the form's second step carries a ticket (signed, bound to the address, 15 minutes), never the
/// secret itself.</summary>
public sealed class FirstRun(ConsoleOptions options, IAccountService accounts, ISignInGuard guard, IDataProtectionProvider protection,
    ConsoleSecurityLog? security = null)
{
    private const string ThrottleAccount = "(setup)";
    private static readonly TimeSpan TicketLifetime = TimeSpan.FromMinutes(15);
    private readonly ITimeLimitedDataProtector _tickets = protection.CreateProtector("spokes.console.setup").ToTimeLimitedDataProtector();

    /// <summary>What the second step of the form carries instead of the secret.</summary>
    public string Ticket(string address) => _tickets.Protect("setup|" + address, DateTimeOffset.UtcNow + TicketLifetime);

    private bool HoldsTicket(string? ticket, string address)
    {
        if (string.IsNullOrEmpty(ticket) || ticket.Length > 4096) return false;
        try
        {
            return _tickets.Unprotect(ticket) == "setup|" + address;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    public async Task<bool> IsOpenAsync() => !string.IsNullOrEmpty(options.AdminSecret) && !await accounts.AdminExistsAsync();

    /// <summary>Constant-time comparison with the configured secret. Failures delay further tries from that address
    /// (and, after many, from any address — a wait, never a lock-out: the right secret still works after it).</summary>
    public async Task<SetupCheck> UnlocksAsync(string? secret, string address)
    {
        if (string.IsNullOrEmpty(options.AdminSecret)) return SetupCheck.Wrong;
        if (await guard.RetryAfterAsync(ThrottleAccount, address) is { } wait)
        {
            security?.Note(SecurityKinds.Throttled, ThrottleAccount, address);
            return new SetupCheck(false, wait);
        }
        if (secret is not null && secret.Length <= 1024 && SecretValues.FixedTimeEquals(secret, options.AdminSecret))
        {
            await guard.SucceededAsync(ThrottleAccount, address);
            return SetupCheck.Right;
        }
        await guard.FailedAsync(ThrottleAccount, address);
        security?.Note(SecurityKinds.WrongSetupSecret, "", address);
        return SetupCheck.Wrong;
    }

    public async Task<string?> CreateAdminAsync(SetupForm form, string address)
    {
        if (!await IsOpenAsync()) return "the first administrator already exists";
        if (!HoldsTicket(form.Ticket, address))
        {
            if (form.Secret is null) return "this form expired: enter the admin secret again";
            var check = await UnlocksAsync(form.Secret, address);
            if (check.Wait is { } wait) return $"too many wrong secrets: try again in {Math.Ceiling(wait.TotalSeconds):0} s";
            if (!check.Ok) return "the admin secret is wrong";
        }
        if (form.Password != form.Confirm) return "the passwords do not match";
        var outcome = await accounts.CreateFirstAdminAsync(form.Email ?? "", form.FullName ?? "", form.Password ?? "", form.TwoFactor);
        return outcome.Error;
    }
}

/// <summary>Whether the set-up secret was right, or how long to wait before trying again.</summary>
public sealed record SetupCheck(bool Ok, TimeSpan? Wait = null)
{
    public static readonly SetupCheck Right = new(true);
    public static readonly SetupCheck Wrong = new(false);
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
    /// <summary>The second step's proof that the secret was accepted (<see cref="FirstRun.Ticket"/>).</summary>
    public string? Ticket { get; set; }
}
