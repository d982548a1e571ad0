using System.Collections.Immutable;

namespace Spokes.Actors.Catalog;

/// <summary>
/// The listed entries of one catalog map, kept in listing order as each state changes (O(log n) per change), so a
/// page is a range of an immutable list rather than a sort of the whole map. The order must be total: states that
/// compare equal are the same entry.
/// </summary>
internal sealed class OrderedView<T>(Func<T, bool> listed, IComparer<T> order) where T : class
{
    public ImmutableList<T> Items { get; private set; } = [];

    /// <summary>Replaces <paramref name="before"/> (null when the entry is new) by <paramref name="after"/>.</summary>
    public void Replace(T? before, T after)
    {
        var items = Items;
        if (before is not null && listed(before) && items.BinarySearch(before, order) is >= 0 and var at)
            items = items.RemoveAt(at);
        if (listed(after))
        {
            var found = items.BinarySearch(after, order);
            items = found >= 0 ? items.SetItem(found, after) : items.Insert(~found, after);
        }
        Items = items;
    }

    /// <summary>Orders by a key, then by id, so that entries with the same key keep one order.</summary>
    public static IComparer<T> By<TKey>(Func<T, TKey> key, Func<T, string> id) => Comparer<T>.Create((a, b) =>
        Comparer<TKey>.Default.Compare(key(a), key(b)) is var c and not 0 ? c : string.CompareOrdinal(id(a), id(b)));
}
