using Spokes.Actors.Catalog;

namespace Spokes.Tests.Actors.Catalog;

public sealed class OrderedViewTests
{
    private sealed record Entry(string Id, int Key, bool Removed);

    [Fact]
    public void Items_EqualTheListedStatesSorted_AfterRandomCreatesUpdatesAndRemovals()
    {
        var random = new Random(7);
        var view = new OrderedView<Entry>(e => !e.Removed, OrderedView<Entry>.By(e => e.Key, e => e.Id));
        var states = new Dictionary<string, Entry>();
        for (var step = 0; step < 5000; step++)
        {
            var id = $"e{random.Next(300)}";
            states.TryGetValue(id, out var before);
            var after = new Entry(id, random.Next(20), random.Next(5) == 0);
            states[id] = after;
            view.Replace(before, after);
        }

        var expected = states.Values.Where(e => !e.Removed)
            .OrderBy(e => e.Key).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, view.Items);
        Assert.NotEmpty(expected);
        Assert.Contains(states.Values, e => e.Removed);
    }

    [Fact]
    public void Replace_OfAnUnlistedEntry_LeavesItOut()
    {
        var view = new OrderedView<Entry>(e => !e.Removed, OrderedView<Entry>.By(e => e.Key, e => e.Id));
        view.Replace(null, new Entry("a", 1, Removed: true));
        Assert.Empty(view.Items);
        view.Replace(new Entry("a", 1, true), new Entry("a", 1, false));
        Assert.Single(view.Items);
    }
}
