using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Actors.Access;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Users;
using Spokes.Admin.Hosting;
using Spokes.Admin.Security;
using Spokes.Admin.Services;

namespace Spokes.Admin.Endpoints;

/// <summary>
/// Sign-in, two-factor and sign-out as plain form posts: only an HTTP response can set or clear the cookie,
/// a Blazor circuit cannot. Each answer is a redirect to a page (PRG), with a short error code in the query.
/// Forms carry an antiforgery token (validated by UseAntiforgery because the handlers bind [FromForm]).
/// </summary>
internal static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account");
        account.MapPost("/signin", SignInAsync);
        account.MapPost("/verify", VerifyAsync);
        account.MapPost("/enrol", EnrolAsync);
        account.MapPost("/signout", SignOutAsync);
        // Who this session is (an HTTP-level check of the cookie, for scripts and the cluster tests; pages are interactive).
        account.MapGet("/whoami", (HttpContext http) => Results.Text(http.User.Identity?.Name ?? ""))
            .RequireAuthorization(p => p.AddAuthenticationSchemes(ConsoleClaims.Scheme).RequireAuthenticatedUser());
    }

    /// <summary>Longest email (RFC 5321) and password looked at; anything longer is refused before any work.</summary>
    internal const int MaxEmail = 254, MaxPassword = 1024;

    private static async Task<IResult> SignInAsync(HttpContext http, [FromForm] string? email, [FromForm] string? password,
        [FromForm] string? returnUrl, IAccountService accounts, ISignInGuard guard, ConsoleOptions options, ConsoleSecurityLog security)
    {
        email = (email ?? "").Trim();
        var address = Address(http);
        if (email.Length > MaxEmail || password?.Length > MaxPassword)
        {
            security.Note(SecurityKinds.FailedSignIn, "(oversized)", address);
            return Back("/account/login", "credentials", returnUrl);
        }
        if (await guard.RetryAfterAsync(email, address) is { } wait)
        {
            security.Note(SecurityKinds.Throttled, email, address);
            return Back("/account/login", "throttled", returnUrl, wait);
        }
        UserState? user;
        try
        {
            user = email.Length == 0 || string.IsNullOrEmpty(password) ? null : await accounts.VerifyPasswordAsync(email, password);
        }
        catch (HashingBusyException)
        {
            return Back("/account/login", "busy", returnUrl);
        }
        if (user is null)
        {
            await guard.FailedAsync(email, address);
            security.Note(SecurityKinds.FailedSignIn, email, address);
            return Back("/account/login", "credentials", returnUrl);
        }
        if (user.Disabled)
        {
            // The right password of a disabled administrator: not a failure to throttle, but no session either.
            security.Note(SecurityKinds.Disabled, user.Email, address);
            return Back("/account/login", "disabled", returnUrl);
        }
        if (!user.TwoFactor)
        {
            await guard.SucceededAsync(email, address);
            security.Note(SecurityKinds.SignedIn, user.Email, address);
            return await CompleteAsync(http, user, returnUrl);
        }
        var enrol = user.TwoFactorPending ? TotpCodes.NewSecret() : null;
        await http.SignInAsync(ConsoleClaims.PendingScheme, ConsoleClaims.Pending(user, enrol));
        return Back(enrol is null ? "/account/code" : "/account/enrol", null, returnUrl);
    }

    private static Task<IResult> VerifyAsync(HttpContext http, [FromForm] string? code, [FromForm] string? returnUrl,
        IAccountService accounts, ISignInGuard guard, TimeProvider time, ConsoleSecurityLog security) =>
        SecondFactorAsync(http, code, returnUrl, "/account/code", accounts, guard, time, security, async (user, secret, step) =>
            secret is null ? null : await accounts.AcceptTotpStepAsync(user.Id, step));

    private static Task<IResult> EnrolAsync(HttpContext http, [FromForm] string? code, [FromForm] string? returnUrl,
        IAccountService accounts, ISignInGuard guard, TimeProvider time, ConsoleSecurityLog security) =>
        SecondFactorAsync(http, code, returnUrl, "/account/enrol", accounts, guard, time, security, async (user, secret, step) =>
            secret is null ? null : await accounts.CompleteEnrolmentAsync(user.Id, secret, step));

    /// <summary>The shared part of the code and enrolment steps: the pending cookie must still match the
    /// user, the code must match a step of the seed, and the entity must accept that step (once).</summary>
    private static async Task<IResult> SecondFactorAsync(HttpContext http, string? code, string? returnUrl, string page,
        IAccountService accounts, ISignInGuard guard, TimeProvider time, ConsoleSecurityLog security,
        Func<UserState, string?, long, Task<Outcome<UserState>?>> accept)
    {
        var pending = await http.AuthenticateAsync(ConsoleClaims.PendingScheme);
        var userId = ConsoleClaims.UserIdOf(pending.Principal);
        var user = userId is null ? null : await accounts.GetUserAsync(userId);
        if (user is null || user.SecurityStamp != ConsoleClaims.StampOf(pending.Principal) || !user.TwoFactor || user.Disabled)
            return Back("/account/login", "expired", returnUrl);
        var address = Address(http);
        if (await guard.RetryAfterAsync(user.Email, address) is { } wait)
        {
            security.Note(SecurityKinds.Throttled, user.Email, address);
            return Back(page, "throttled", returnUrl, wait);
        }
        var enrolling = pending.Principal!.FindFirst(ConsoleClaims.EnrolSecret)?.Value;
        var secret = page == "/account/enrol" ? enrolling : accounts.OpenTotpSecret(user);
        var step = secret is null ? null : TotpCodes.MatchStep(secret, code, time.GetUtcNow());
        if (step is null)
        {
            await guard.FailedAsync(user.Email, address);
            security.Note(SecurityKinds.WrongCode, user.Email, address);
            return Back(page, secret is null ? "expired" : "code", returnUrl);
        }
        var outcome = await accept(user, secret, step.Value);
        if (outcome is not { Value: { } signedIn })
        {
            await guard.FailedAsync(user.Email, address);
            security.Note(SecurityKinds.ReplayedCode, user.Email, address);
            return Back(page, "used", returnUrl);
        }
        await guard.SucceededAsync(user.Email, address);
        security.Note(SecurityKinds.SignedIn, user.Email, address);
        await http.SignOutAsync(ConsoleClaims.PendingScheme);
        return await CompleteAsync(http, signedIn, returnUrl);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, [FromForm] string? returnUrl, IConsoleSessions sessions,
        SessionValidator validator)
    {
        // The cookie alone proves nothing once signed out: its session ends in the cluster, so a copy of this cookie
        // is refused on every node within the validator's cache time; the user's other sessions go on.
        var signedIn = await http.AuthenticateAsync(ConsoleClaims.Scheme);
        if (ConsoleClaims.UserIdOf(signedIn.Principal) is { } userId && ConsoleClaims.SessionOf(signedIn.Principal) is { } sessionId)
        {
            await sessions.EndAsync(userId, sessionId, "signed out", ConsoleClaims.AuthorOf(signedIn.Principal));
            validator.Forget(userId);
        }
        await http.SignOutAsync(ConsoleClaims.PendingScheme);
        await http.SignOutAsync(ConsoleClaims.Scheme);
        return Results.Redirect("/account/login");
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, UserState user, string? returnUrl)
    {
        var sessions = http.RequestServices.GetRequiredService<IConsoleSessions>();
        var agent = http.Request.Headers.UserAgent.ToString();
        var sessionId = await sessions.StartAsync(user.Id, user.SecurityStamp, Address(http), agent, "console " + user.Email);
        await http.SignInAsync(ConsoleClaims.Scheme, ConsoleClaims.Session(user, sessionId));
        return Results.Redirect(LocalUrl(returnUrl) ?? "/");
    }

    private static IResult Back(string page, string? error, string? returnUrl, TimeSpan? wait = null)
    {
        var query = new List<string>();
        if (error is not null) query.Add("error=" + error);
        if (wait is { } w) query.Add("wait=" + (int)Math.Ceiling(w.TotalSeconds));
        if (LocalUrl(returnUrl) is { } local) query.Add("returnUrl=" + Uri.EscapeDataString(local));
        return Results.Redirect(query.Count == 0 ? page : page + "?" + string.Join('&', query));
    }

    /// <summary>Only same-site paths are followed after sign-in (no open redirect).</summary>
    /// <summary>A path on this site, or null. Browsers drop tabs and line breaks from a URL before following it
    /// (<c>/\t/evil.example/</c> becomes <c>//evil.example/</c>) and read a backslash as a slash, so any control
    /// character, space, backslash or non-ASCII character refuses the URL, as does a second leading slash.</summary>
    internal static string? LocalUrl(string? url)
    {
        if (url is not { Length: > 0 and <= 2048 } || url[0] != '/' || url.Length > 1 && url[1] == '/') return null;
        foreach (var c in url)
            if (c <= ' ' || c >= (char)0x7f || c == '\\') return null;
        return url;
    }

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
