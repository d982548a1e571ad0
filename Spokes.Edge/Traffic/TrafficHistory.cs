using System.Collections.Concurrent;
using System.Collections.Immutable;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Traffic;

/// <summary>
/// This node's traffic over time, for the console's graphs (docs/console.md, "Traffic graphs"): every
/// <see cref="AdminOperations.HourStep"/> s the sampler adds what each tunnel's counters in <see cref="TrafficMeter"/>
/// moved since the last sample into two rings per tunnel — the last hour in 10 s steps and the last day in 5 min steps
/// — and into the same rings for the node's tunnels together. Steps are aligned to the UTC clock, so the cluster sums
/// the nodes' steps (<see cref="AdminOperations"/>, <c>TrafficHistoryRequest</c>). Only tunnels that moved something
/// in the last day have rings (≈ 20 KiB each, at most <see cref="TrafficMeter.MaxTunnelSeries"/> + 1 of them). Held in
/// memory: a node's history starts when it starts.
/// </summary>
public sealed class TrafficHistory
{
    private readonly ConcurrentDictionary<string, Rings> _tunnels = new(StringComparer.Ordinal);
    private readonly Rings _all = new();
    // The counters at the last sample (the sampler's alone).
    private readonly Dictionary<string, (long In, long Out, long Opened)> _last = new(StringComparer.Ordinal);

    /// <summary>Adds what moved since the last sample, at <paramref name="now"/>.</summary>
    public void Sample(IEnumerable<KeyValuePair<string, TunnelTraffic>> tunnels, DateTimeOffset now)
    {
        var unix = now.ToUnixTimeSeconds();
        long sumIn = 0, sumOut = 0, sumOpened = 0;
        foreach (var (id, traffic) in tunnels)
        {
            var current = (In: traffic.BytesIn, Out: traffic.BytesOut, Opened: traffic.Opened);
            var previous = _last.GetValueOrDefault(id);
            _last[id] = current;
            var (dIn, dOut, dOpened) = (current.In - previous.In, current.Out - previous.Out, current.Opened - previous.Opened);
            if (dIn == 0 && dOut == 0 && dOpened == 0) continue;
            _tunnels.GetOrAdd(id, _ => new Rings()).Add(unix, dIn, dOut, dOpened);
            (sumIn, sumOut, sumOpened) = (sumIn + dIn, sumOut + dOut, sumOpened + dOpened);
        }
        _all.Add(unix, sumIn, sumOut, sumOpened);
        foreach (var (id, rings) in _tunnels)
            if (unix - rings.LastAdded > AdminOperations.DayStep * AdminOperations.DaySteps) _tunnels.TryRemove(id, out _);
    }

    /// <summary>The points of the period that have traffic, oldest first; of all tunnels when <paramref name="tunnelId"/> is null.</summary>
    public ImmutableList<TrafficPoint> Read(string? tunnelId, bool day, DateTimeOffset now)
    {
        var rings = tunnelId is null ? _all : _tunnels.GetValueOrDefault(tunnelId);
        return rings?.Read(day, now.ToUnixTimeSeconds()) ?? [];
    }

    /// <summary>Tunnels with rings (for tests and the memory figure).</summary>
    public int TunnelsHeld => _tunnels.Count;

    private sealed class Rings
    {
        private readonly Ring _hour = new(AdminOperations.HourStep, AdminOperations.HourSteps);
        private readonly Ring _day = new(AdminOperations.DayStep, AdminOperations.DaySteps);
        private readonly Lock _sync = new();

        public long LastAdded { get; private set; }

        public void Add(long unix, long bytesIn, long bytesOut, long opened)
        {
            lock (_sync)
            {
                _hour.Add(unix, bytesIn, bytesOut, opened);
                _day.Add(unix, bytesIn, bytesOut, opened);
                LastAdded = unix;
            }
        }

        public ImmutableList<TrafficPoint> Read(bool day, long unix)
        {
            lock (_sync) return (day ? _day : _hour).Read(unix);
        }
    }

    /// <summary>A fixed number of clock-aligned steps; a slot holds the step it was last written for, so a slot of an
    /// older lap reads as empty.</summary>
    private sealed class Ring(int step, int size)
    {
        private readonly long[] _step = Enumerable.Repeat(-1L, size).ToArray();
        private readonly long[] _in = new long[size], _out = new long[size], _opened = new long[size];

        public void Add(long unix, long bytesIn, long bytesOut, long opened)
        {
            var current = unix / step;
            var slot = (int)(current % size);
            if (_step[slot] != current) (_step[slot], _in[slot], _out[slot], _opened[slot]) = (current, 0, 0, 0);
            (_in[slot], _out[slot], _opened[slot]) = (_in[slot] + bytesIn, _out[slot] + bytesOut, _opened[slot] + opened);
        }

        public ImmutableList<TrafficPoint> Read(long unix)
        {
            var current = unix / step;
            var points = ImmutableList.CreateBuilder<TrafficPoint>();
            for (var s = current - size + 1; s <= current; s++)
            {
                var slot = (int)(s % size);
                if (s >= 0 && _step[slot] == s && (_in[slot] | _out[slot] | _opened[slot]) != 0)
                    points.Add(new TrafficPoint(s * step, _in[slot], _out[slot], _opened[slot]));
            }
            return points.ToImmutable();
        }
    }
}
