using MudBlazor;
using Spokes.Actors.Gateway;

namespace Spokes.Admin.Components.Shared;

/// <summary>A traffic history as the charts draw it: steps merged <c>merge</c> at a time (an hour of 10 s steps as 60
/// minutes, a day of 5 min steps as 96 quarters, 30 days of roll-ups as they are), rates in the binary unit that fits the
/// largest. <see cref="LastIn"/> and <see cref="LastOut"/>: the newest step so far (today, for roll-ups).</summary>
public sealed record TrafficView(long In, long Out, long Connections, long LastIn, long LastOut, double LatestInPerSecond, double LatestOutPerSecond,
    (string Name, double Size) Unit, string[] Labels, List<ChartSeries<double>> Rates, List<ChartSeries<double>> Connects,
    int Nodes, int Answered)
{
    public bool Partial => Answered < Nodes;

    public static TrafficView Of(TrafficHistoryReply reply, int merge)
    {
        var groups = reply.Points.Chunk(merge).ToList();
        // Days of roll-ups are drawn as bytes per day (a rate averaged over a day says little); live steps as bytes/s.
        var daily = reply.StepSeconds >= 86_400;
        var seconds = daily ? 1 : (double)reply.StepSeconds * merge;
        var inRates = groups.Select(g => g.Sum(p => p.BytesIn) / seconds).ToArray();
        var outRates = groups.Select(g => g.Sum(p => p.BytesOut) / seconds).ToArray();
        var unit = Format.UnitFor(inRates.Concat(outRates).DefaultIfEmpty(0).Max());
        // The last full step (the current one is still filling) gives "now".
        var latest = reply.Points.Count >= 2 ? reply.Points[^2] : null;
        var labels = groups.Select((g, i) => i % (daily ? 5 : 10) == 0 || i == groups.Count - 1
            ? DateTimeOffset.FromUnixTimeSeconds(g[0].Start).UtcDateTime.ToString(daily ? "MM-dd" : "HH:mm", System.Globalization.CultureInfo.InvariantCulture)
            : "").ToArray();
        var newest = reply.Points.Count > 0 ? reply.Points[^1] : null;
        return new TrafficView(reply.Points.Sum(p => p.BytesIn), reply.Points.Sum(p => p.BytesOut), reply.Points.Sum(p => p.Connections),
            newest?.BytesIn ?? 0, newest?.BytesOut ?? 0,
            latest is null ? 0 : latest.BytesIn / (double)reply.StepSeconds, latest is null ? 0 : latest.BytesOut / (double)reply.StepSeconds,
            unit, labels,
            [
                new() { Name = "In", Data = inRates.Select(r => r / unit.Size).ToArray() },
                new() { Name = "Out", Data = outRates.Select(r => r / unit.Size).ToArray() },
            ],
            [new() { Name = "Connections", Data = groups.Select(g => (double)g.Sum(p => p.Connections)).ToArray() }],
            reply.Nodes, reply.NodesAnswered);
    }
}
