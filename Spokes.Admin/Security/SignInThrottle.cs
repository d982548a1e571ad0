using System.Collections.Concurrent;

namespace Spokes.Admin.Security;

/// <summary>
/// Refuses sign-in attempts after too many recent failures, per account and per client address, over a
/// sliding window. It lives in the memory of one node: an attacker spreading attempts over N nodes gets
/// N times the budget, and a restart forgets it. Both are acceptable for an admin console behind
/// PBKDF2 (600k iterations) and TOTP; a cluster-wide limiter would need a replicated counter.
/// </summary>
public sealed class SignInThrottle(TimeProvider time, int perAccount = SignInThrottle.DefaultPerAccount,
    int perAddress = SignInThrottle.DefaultPerAddress, TimeSpan? window = null)
{
    public const int DefaultPerAccount = 5;
    public const int DefaultPerAddress = 20;
    private readonly TimeSpan _window = window ?? TimeSpan.FromMinutes(15);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new();

    public bool IsBlocked(string account, string address) =>
        Count("a:" + Key(account)) >= perAccount || Count("ip:" + address) >= perAddress;

    public void RecordFailure(string account, string address)
    {
        Add("a:" + Key(account));
        Add("ip:" + address);
    }

    /// <summary>A success clears the account's failures (not the address's: one good password must not
    /// buy more guesses at other accounts).</summary>
    public void RecordSuccess(string account) => _failures.TryRemove("a:" + Key(account), out _);

    private static string Key(string account) => account.Trim().ToLowerInvariant();

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out var queue)) return 0;
        lock (queue)
        {
            Trim(queue);
            return queue.Count;
        }
    }

    private void Add(string key)
    {
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue);
            queue.Enqueue(time.GetUtcNow());
        }
    }

    private void Trim(Queue<DateTimeOffset> queue)
    {
        var cutoff = time.GetUtcNow() - _window;
        while (queue.Count > 0 && queue.Peek() < cutoff) queue.Dequeue();
    }
}
