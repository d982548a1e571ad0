using System.Collections.Concurrent;

namespace Spokes.Edge.Relay;

/// <summary>Counters of open things per key that exist only while their count is above zero, so the state is
/// bounded by what is open.</summary>
internal static class OpenCounts
{
    /// <summary>Counts one more under <paramref name="key"/>; false (and nothing counted) beyond <paramref name="limit"/>
    /// (0: no limit).</summary>
    public static bool Enter<TKey>(ConcurrentDictionary<TKey, int> counts, TKey key, int limit) where TKey : notnull
    {
        var now = counts.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (limit == 0 || now <= limit) return true;
        Leave(counts, key);
        return false;
    }

    public static void Leave<TKey>(ConcurrentDictionary<TKey, int> counts, TKey key) where TKey : notnull
    {
        if (counts.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
            counts.TryRemove(new KeyValuePair<TKey, int>(key, 0));
    }
}
