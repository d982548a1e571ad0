using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Spokes.Actors.Access;
using Spokes.Actors.Gateway;
using Spokes.Admin.Hosting;
using Spokes.Admin.Services;

namespace Spokes.Admin.Security;

/// <summary>
/// A console session is valid while its user exists, is an enabled admin and keeps the security stamp the cookie carries (a
/// password or 2FA change anywhere in the cluster bumps it and so ends every session of the user), and while the
/// session the cookie names is open in the cluster (<see cref="IConsoleSessions"/>: signing out or a revocation ends
/// it on every node), younger than <see cref="ConsoleOptions.SessionLifetime"/> and used within
/// <see cref="ConsoleOptions.SessionIdle"/>. Answers are cached <see cref="CacheFor"/> so that each request does not
/// cost actor round trips; a use is noted at most every <see cref="TouchEvery"/>.
/// </summary>
public sealed class SessionValidator(IAccountService accounts, IConsoleSessions sessions, ConsoleOptions options, IMemoryCache cache,
    TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    // When this node last noted each session's use (the cached list shows the older time for a few seconds).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _touched = new();

    public async Task<bool> IsCurrentAsync(ClaimsPrincipal? principal)
    {
        if (ConsoleClaims.UserIdOf(principal) is not { } id || ConsoleClaims.StampOf(principal) is not { } stamp
            || ConsoleClaims.SessionOf(principal) is not { } sessionId)
            return false;
        var current = await cache.GetOrCreateAsync("console-stamp:" + id, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            var user = await accounts.GetUserAsync(id);
            return user is { IsAdmin: true, Disabled: false } ? user.SecurityStamp : (int?)null;
        });
        if (current != stamp) return false;
        var open = await OpenAsync(id);
        if (open?.FirstOrDefault(s => s.Id == sessionId) is not { } session)
        {
            // A session newer than the cached list (signed in a moment ago, maybe on another node): ask once more.
            cache.Remove("console-sessions:" + id);
            open = await OpenAsync(id);
            if (open?.FirstOrDefault(s => s.Id == sessionId) is not { } fresh) return false;
            session = fresh;
        }
        var now = time.GetUtcNow();
        if (session.Stamp != stamp) return false;
        if (now - session.Started > options.SessionLifetime || now - session.LastSeen > options.SessionIdle) return false;
        if (now - session.LastSeen > TouchEvery && now - _touched.GetValueOrDefault(sessionId) > TouchEvery)
        {
            if (_touched.Count > 10_000) _touched.Clear();
            _touched[sessionId] = now;
            sessions.Touch(id, sessionId);
        }
        return true;
    }

    /// <summary>The user's open sessions (cached like the stamp); null when the cluster did not answer.</summary>
    public Task<System.Collections.Immutable.ImmutableList<ConsoleSession>?> OpenAsync(string userId) =>
        cache.GetOrCreateAsync("console-sessions:" + userId, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            return await sessions.ListAsync(userId);
        });

    /// <summary>Forgets what is cached for the user (after this node changed it), so the change applies at once here.</summary>
    public void Forget(string userId)
    {
        cache.Remove("console-stamp:" + userId);
        cache.Remove("console-sessions:" + userId);
    }
}
