namespace Spokes.Actors.Access;

/// <summary>What a sign-in throttle counts: one account from one address, one address over all accounts, one
/// account over all addresses.</summary>
public enum ThrottleScope { Pair, Address, Account }

/// <summary>
/// The failures of one throttle key and when the next attempt may come, as a pure value (the
/// <see cref="SignInGuardEntity"/> holds one per key, in memory, cluster-wide). Attempts are delayed, never
/// blocked for good: after a few free failures each further one doubles the wait (up to a cap), so a guesser
/// slows to a crawl while the right credentials still work after the wait — a stranger cannot lock an operator
/// out. Failures are forgotten <see cref="ForgetAfter"/> after the last one.
/// </summary>
public sealed record SignInThrottleState(int Failures, DateTimeOffset LastFailure, DateTimeOffset NextAllowed)
{
    public static readonly SignInThrottleState Empty = new(0, DateTimeOffset.MinValue, DateTimeOffset.MinValue);
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(15);

    /// <summary>Failures that cost nothing, and the longest wait, per scope: one account from one address gets 2
    /// free tries then 1 s, 2 s, 4 s … up to 15 min; an address 20 over all accounts; an account 10 over all
    /// addresses, then waits of at most a minute (a distributed guesser gets one try a minute at most, the owner
    /// waits a minute at worst).</summary>
    public static (int Free, TimeSpan Cap) Limits(ThrottleScope scope) => scope switch
    {
        ThrottleScope.Pair => (2, TimeSpan.FromMinutes(15)),
        ThrottleScope.Address => (20, TimeSpan.FromMinutes(15)),
        _ => (10, TimeSpan.FromMinutes(1)),
    };

    /// <summary>How long to wait before the next attempt, or null when it may come now.</summary>
    public TimeSpan? RetryAfter(DateTimeOffset now)
    {
        var current = Current(now);
        return current.NextAllowed > now ? current.NextAllowed - now : null;
    }

    public SignInThrottleState Fail(ThrottleScope scope, DateTimeOffset now)
    {
        var current = Current(now);
        var failures = current.Failures + 1;
        var (free, cap) = Limits(scope);
        var wait = failures <= free ? TimeSpan.Zero
            : TimeSpan.FromSeconds(Math.Min(cap.TotalSeconds, Math.Pow(2, Math.Min(30, failures - free - 1))));
        return new SignInThrottleState(failures, now, now + wait);
    }

    private SignInThrottleState Current(DateTimeOffset now) => now - LastFailure > ForgetAfter ? Empty : this;
}
