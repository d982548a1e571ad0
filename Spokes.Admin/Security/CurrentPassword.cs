using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Spokes.Actors.Access;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Users;
using Spokes.Admin.Services;

namespace Spokes.Admin.Security;

/// <summary>A change on Account that takes the current password (the password itself, the user's own 2FA). Wrong
/// passwords are throttled per user like sign-ins (waits that double), so a stolen session cannot guess it; a change
/// that went through moved the user's stamp, so this browser leaves for the sign-in page.</summary>
internal static class CurrentPassword
{
    /// <returns>The error to show, or null when the change went through (the browser is then on its way out).</returns>
    public static async Task<string?> ChangeAsync(ISignInGuard guard, SessionValidator sessions, NavigationManager navigation,
        ClaimsPrincipal? user, string userId, Func<Task<Outcome<UserState>>> change)
    {
        var account = "(password change) " + ConsoleClaims.EmailOf(user);
        if (await guard.RetryAfterAsync(account, userId) is { } wait)
            return $"too many wrong passwords: try again in {Math.Ceiling(wait.TotalSeconds):0} s";
        var outcome = await change();
        if (outcome.Error == AccountService.WrongCurrentPassword) await guard.FailedAsync(account, userId);
        if (!outcome.Ok) return outcome.Error;
        await guard.SucceededAsync(account, userId);
        sessions.Forget(userId);
        navigation.NavigateTo("/account/login", forceLoad: true);
        return null;
    }
}
