using Spokes.Actors.Gateway;
using Spokes.Admin.Components.Shared;
using Spokes.Edge.Traffic;

namespace Spokes.Tests.Edge.Traffic;

public sealed class TrafficHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Sample_AddsWhatMovedSinceTheLast_PerTunnelAndForAll_InClockAlignedSteps()
    {
        var meter = new TrafficMeter();
        var history = new TrafficHistory();
        Move(meter, "t1", 1000, 4000);
        Move(meter, "t2", 10, 0);
        history.Sample(meter.Tunnels, Start.AddSeconds(0.5));
        Move(meter, "t1", 500, 0);
        history.Sample(meter.Tunnels, Start.AddSeconds(10.5));
        history.Sample(meter.Tunnels, Start.AddSeconds(20.5));

        var t1 = history.Read("t1", day: false, Start.AddSeconds(25));
        Assert.Equal([new TrafficPoint(Start.ToUnixTimeSeconds(), 1000, 4000, 1), new TrafficPoint(Start.ToUnixTimeSeconds() + 10, 500, 0, 1)], t1);
        Assert.Equal(1510, history.Read(null, false, Start.AddSeconds(25)).Sum(p => p.BytesIn));
        // The day's 5 min step holds the three samples together.
        Assert.Equal([new TrafficPoint(Start.ToUnixTimeSeconds(), 1500, 4000, 2)], history.Read("t1", day: true, Start.AddMinutes(1)));
        // An hour later the 10 s steps have lapped; the day still has them.
        Assert.Empty(history.Read("t1", false, Start.AddHours(1).AddSeconds(30)));
        Assert.Single(history.Read("t1", true, Start.AddHours(1)));
        Assert.Empty(history.Read("nope", false, Start));
    }

    [Fact]
    public void Sample_TunnelsQuietForADay_AreForgotten()
    {
        var meter = new TrafficMeter();
        var history = new TrafficHistory();
        Move(meter, "t1", 1, 1);
        history.Sample(meter.Tunnels, Start);
        Assert.Equal(1, history.TunnelsHeld);
        history.Sample(meter.Tunnels, Start.AddHours(23));
        Assert.Equal(1, history.TunnelsHeld);
        history.Sample(meter.Tunnels, Start.AddHours(25));
        Assert.Equal(0, history.TunnelsHeld);
    }

    [Fact]
    public void TrafficView_MergesStepsIntoRatesInAFittingUnit()
    {
        var from = Start.ToUnixTimeSeconds();
        var points = Enumerable.Range(0, 12).Select(i => new TrafficPoint(from + i * 10, i < 6 ? 60 * 1024 : 0, 600, i == 0 ? 3 : 0)).ToList();
        var view = TrafficView.Of(new TrafficHistoryReply("t1", 10, [.. points], 2, 1), merge: 6);
        Assert.Equal(("KiB", 1024.0), view.Unit);
        Assert.Equal([6.0, 0.0], view.Rates[0].Data);
        Assert.Equal([3.0, 0.0], view.Connects[0].Data);
        Assert.Equal((360L * 1024, 7200L, 3L), (view.In, view.Out, view.Connections));
        Assert.Equal(60.0, view.LatestOutPerSecond);
        Assert.True(view.Partial);
        Assert.Equal("10:00", view.Labels[0]);
    }

    [Fact]
    public void TrafficView_DailyRollups_BytesPerDayLabelledByDate()
    {
        var day = new DateTimeOffset(2026, 11, 4, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var points = Enumerable.Range(0, 30).Select(i => new TrafficPoint(day + i * 86_400, i == 29 ? 3 * 1024 * 1024 : 0, 1024, 1)).ToList();
        var view = TrafficView.Of(new TrafficHistoryReply("t1", 86_400, [.. points], 1, 1), merge: 1);
        Assert.Equal(("MiB", 1024.0 * 1024), view.Unit);
        Assert.Equal(3.0, view.Rates[0].Data.ToArray()[^1]);
        Assert.Equal((3L * 1024 * 1024, 1024L), (view.LastIn, view.LastOut));
        Assert.Equal(30L, view.Connections);
        Assert.Equal(("11-04", "12-03"), (view.Labels[0], view.Labels[^1]));
        Assert.False(view.Partial);
    }

    /// <summary>A connection of <paramref name="tunnel"/> moving bytes each way, counted as the relays count them.</summary>
    private static void Move(TrafficMeter meter, string tunnel, long toAgent, long toVisitor)
    {
        using var scope = meter.Open(tunnel);
        var policy = scope.Counting(Spokes.Tunnel.Mux.RelayPolicy.IdleFor(null));
        if (toAgent > 0) policy.CountWay!(toAgent, false);
        if (toVisitor > 0) policy.CountWay!(toVisitor, true);
    }
}
