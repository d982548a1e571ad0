using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Spokes.Actors.Gateway;

namespace Spokes.Admin.Security;

/// <summary>
/// A console session is valid while its user exists, is an admin and keeps the security stamp the cookie
/// carries; a password change anywhere in the cluster bumps the stamp and so ends every session.
/// Answers are cached a few seconds so that each request does not cost an actor round trip.
/// </summary>
public sealed class SessionValidator(IAccountService accounts, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    public async Task<bool> IsCurrentAsync(ClaimsPrincipal? principal)
    {
        if (ConsoleClaims.UserIdOf(principal) is not { } id || ConsoleClaims.StampOf(principal) is not { } stamp) return false;
        var current = await cache.GetOrCreateAsync("console-stamp:" + id, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            var user = await accounts.GetUserAsync(id);
            return user is { IsAdmin: true } ? user.SecurityStamp : (int?)null;
        });
        return current == stamp;
    }

    /// <summary>Forgets the cached stamp (after this node changed it), so the change applies at once here.</summary>
    public void Forget(string userId) => cache.Remove("console-stamp:" + userId);
}
