using System.Collections.Immutable;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Store;
using Spokes.Actors.Tunnels;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.Support;

namespace Spokes.Tests.Actors.Store;

/// <summary>The traffic history on a real SQLite file and on the test PostgreSQL (test.sh starts one).</summary>
public sealed class TrafficStoreTests : IDisposable
{
    private static readonly DateTimeOffset Day1 = new(2026, 3, 31, 23, 59, 0, TimeSpan.Zero);
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<DatabaseConfig> DatabaseAsync(string provider) => provider == "postgres"
        ? new DatabaseConfig { Provider = "postgres", ConnectionString = await ClusterTestbed.FreshDatabaseAsync() }
        : new DatabaseConfig { Path = _folder.Combine("spokes.db") };

    private static ConnectionRecord Connection(DateTimeOffset closed, long bytesIn, long bytesOut = 0, string rule = "http:a.example.com") =>
        new(closed, rule, "192.0.2.1:5000", bytesIn, bytesOut, 10, "node-a");

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Totals_RollOverByUtcDayAndMonth_AndTwoNodesWritingAddUp(string provider)
    {
        var db = await DatabaseAsync(provider);
        var (nodeA, nodeB) = (new TrafficStore(db, new TrafficConfig()), new TrafficStore(db, new TrafficConfig()));
        await nodeA.WriteAsync([("t1", Connection(Day1, 100, 1)), ("t2", Connection(Day1, 5))]);
        // 00:01 UTC on April 1st, written as 20:01 at UTC-4: the UTC day and month decide.
        await nodeB.WriteAsync([("t1", Connection(Day1.AddMinutes(2).ToOffset(TimeSpan.FromHours(-4)), 7))]);
        await nodeA.WriteAsync([("t1", Connection(Day1.AddMinutes(3), 3))]);

        var april = await nodeB.TotalsAsync(Day1.AddHours(1));
        Assert.Equal(new TrafficTotals(10, 10, 111), april["t1"]);
        Assert.Equal(new TrafficTotals(0, 0, 5), april["t2"]);
        Assert.Equal(new TrafficTotals(101, 101, 111), (await nodeA.TotalsAsync(Day1, "t1"))["t1"]);
        Assert.Equal(["t1"], (await nodeA.TotalsAsync(Day1, "t1")).Keys);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Daily_LastDaysOfOneTunnelOrAll_OldestFirst_OlderDaysLeftOut(string provider)
    {
        var store = new TrafficStore(await DatabaseAsync(provider), new TrafficConfig());
        await store.WriteAsync([("t1", Connection(Day1, 100, 1)), ("t2", Connection(Day1, 5)), ("t1", Connection(Day1.AddMinutes(2), 7, 2)),
            ("t1", Connection(Day1.AddDays(-40), 1000))]);

        var t1 = await store.DailyAsync(Day1.AddHours(1), 30, "t1");
        Assert.Equal([new RollupRow(TrafficStore.Start("d", Day1), 100, 1, 1), new RollupRow(TrafficStore.Start("d", Day1.AddMinutes(2)), 7, 2, 1)], t1);
        var all = await store.DailyAsync(Day1.AddHours(1), 30);
        Assert.Equal([105L, 7L], all.Select(r => r.BytesIn));
        Assert.Equal([2L, 1L], all.Select(r => r.Connections));
        // A one-day window at March 31st: that day alone (April 1st is after it, February is before it).
        Assert.Equal([TrafficStore.Start("d", Day1)], (await store.DailyAsync(Day1, 1, "t1")).Select(r => r.StartMs));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Connections_PagedNewestFirstBeyondTheFirstHundred(string provider)
    {
        var store = new TrafficStore(await DatabaseAsync(provider), new TrafficConfig());
        await store.WriteAsync([.. Enumerable.Range(0, 250).Select(i => ("t1", Connection(Day1.AddSeconds(i), i, rule: $"tcp:{i}")))]);
        await store.WriteAsync([("t2", Connection(Day1, 1))]);

        var first = await store.ConnectionsAsync("t1", 0, 100);
        Assert.Equal(250, first.Total);
        Assert.Equal(100, first.Connections.Count);
        Assert.Equal("tcp:249", first.Connections[0].Rule);
        Assert.Equal(Day1.AddSeconds(249), first.Connections[0].Closed);
        var third = await store.ConnectionsAsync("t1", 200, 100);
        Assert.Equal(Enumerable.Range(0, 50).Reverse().Select(i => $"tcp:{i}"), third.Connections.Select(c => c.Rule));
        Assert.Empty((await store.ConnectionsAsync("t1", 250, 100)).Connections);
        Assert.Equal(0, (await store.ConnectionsAsync("nobody", 0, 10)).Total);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Prune_DeletesConnectionsAndHoursPastTheRetention_KeepsTheTotals(string provider)
    {
        var store = new TrafficStore(await DatabaseAsync(provider), new TrafficConfig { RetentionDays = 30 });
        var old = Day1.AddDays(-40);
        await store.WriteAsync([.. Enumerable.Range(0, TrafficStore.PruneChunk + 5).Select(i => ("t1", Connection(old.AddMilliseconds(i), 1)))]);
        await store.WriteAsync([("t1", Connection(Day1, 2))]);

        // The old connections, and their hour; their day and month rows stay.
        Assert.Equal(TrafficStore.PruneChunk + 5 + 1, await store.PruneAsync(Day1));
        var page = await store.ConnectionsAsync("t1", 0, 10);
        Assert.Equal((1L, 2L), (page.Total, page.Connections.Single().BytesIn));
        Assert.Equal(TrafficStore.PruneChunk + 5 + 2, (await store.TotalsAsync(Day1))["t1"].Total);
        Assert.Equal(0, await store.PruneAsync(Day1));
    }

    [Fact]
    public void WithLegacy_TheJournalsConnectionsFollowTheTablesRows()
    {
        var table = Enumerable.Range(0, 3).Select(i => Connection(Day1.AddMinutes(-i), i, rule: $"new{i}")).ToImmutableList();
        var legacy = Enumerable.Range(0, 4).Select(i => Connection(Day1.AddDays(-1).AddMinutes(i), i, rule: $"old{i}")).ToList();

        var (rows, total) = AdminOperations.WithLegacy(new ConnectionPage(table.Take(2).ToImmutableList(), 3), legacy, 0, 2);
        Assert.Equal(["new0", "new1"], rows.Select(r => r.Rule));
        Assert.Equal(7, total);
        (rows, _) = AdminOperations.WithLegacy(new ConnectionPage(table.Skip(2).ToImmutableList(), 3), legacy, 2, 3);
        Assert.Equal(["new2", "old3", "old2"], rows.Select(r => r.Rule));
        (rows, _) = AdminOperations.WithLegacy(new ConnectionPage([], 3), legacy, 5, 3);
        Assert.Equal(["old1", "old0"], rows.Select(r => r.Rule));
        (rows, _) = AdminOperations.WithLegacy(new ConnectionPage([], 3), legacy, 50, 3);
        Assert.Empty(rows);
    }
}
