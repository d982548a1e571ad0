using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Gateway;

/// <summary>Traffic over time of one tunnel, or of all tunnels (<paramref name="TunnelId"/> null): the last hour in 10 s
/// steps, or the last day (<paramref name="Day"/>) in 5 min steps, summed over every node.</summary>
public sealed record TrafficHistoryRequest(string? TunnelId, bool Day) : IAdminRequest;

/// <summary>Traffic per day over the last <see cref="AdminOperations.RollupDays"/> days, of one tunnel or all, from the
/// store's daily roll-ups (every node's share, including nodes down now; a connection counts on the day it closed).
/// Answered as a <see cref="TrafficHistoryReply"/> with one-day steps.</summary>
public sealed record TrafficRollupsRequest(string? TunnelId) : IAdminRequest;

/// <summary>What one node answers: its points of the period (a step without traffic may be left out).</summary>
public sealed record NodeTrafficRequest(string? TunnelId, bool Day) : IWireMessage;

/// <param name="Start">The step's start, in Unix seconds (steps are aligned to the UTC clock, so nodes' steps add up).</param>
/// <param name="BytesIn">Bytes from visitors towards the agent.</param>
/// <param name="BytesOut">Bytes from the agent back to visitors.</param>
/// <param name="Connections">Visitor connections opened in the step.</param>
public sealed record TrafficPoint(long Start, long BytesIn, long BytesOut, long Connections) : IWireMessage;

public sealed record NodeTrafficReply(ImmutableList<TrafficPoint> Points) : IWireMessage;

/// <summary>Every step of the period, oldest first (zeros where nothing moved); <paramref name="NodesAnswered"/> of
/// <paramref name="Nodes"/> up members answered in time (the others' share is missing).</summary>
public sealed record TrafficHistoryReply(string? TunnelId, int StepSeconds, ImmutableList<TrafficPoint> Points, int Nodes, int NodesAnswered)
    : IWireMessage;

public sealed partial class AdminOperations
{
    /// <summary>The per-node actor answering <see cref="NodeTrafficRequest"/> (Spokes.Edge's traffic history).</summary>
    public const string TrafficActorName = "spokes-traffic";
    public const int HourStep = 10, HourSteps = 360, DayStep = 300, DaySteps = 288;
    private static readonly TimeSpan NodeTrafficTimeout = TimeSpan.FromSeconds(3);

    private async Task<IWireMessage> TrafficHistoryAsync(TrafficHistoryRequest r)
    {
        var tunnelId = r.TunnelId?.Trim().ToLowerInvariant();
        if (tunnelId is { Length: 0 or > 64 }) return new Refusal(ErrorCode.Invalid, "which tunnel? the id is empty or too long");
        if (tunnelId is not null && await AskAsync(regions.Tunnels, new Tunnels.GetTunnel(tunnelId)) is Refusal)
            return new Refusal(ErrorCode.NotFound, $"tunnel {tunnelId} not found");
        var members = Cluster.Get(system).State.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        var asks = members.Select(async m =>
        {
            try
            {
                var path = new RootActorPath(m.Address) / "user" / TrafficActorName;
                return await system.ActorSelection(path).Ask<NodeTrafficReply>(new NodeTrafficRequest(tunnelId, r.Day), NodeTrafficTimeout);
            }
            catch (Exception ex) when (ex is AskTimeoutException or ActorNotFoundException)
            {
                return null;
            }
        }).ToList();
        var replies = (await Task.WhenAll(asks)).Where(x => x is not null).ToList();
        var (step, steps) = r.Day ? (DayStep, DaySteps) : (HourStep, HourSteps);
        var last = Now.ToUnixTimeSeconds() / step * step;
        var sums = new Dictionary<long, TrafficPoint>();
        foreach (var p in replies.SelectMany(x => x!.Points))
            sums[p.Start] = sums.TryGetValue(p.Start, out var s)
                ? new TrafficPoint(p.Start, s.BytesIn + p.BytesIn, s.BytesOut + p.BytesOut, s.Connections + p.Connections)
                : p;
        var points = Enumerable.Range(0, steps).Select(i => last - (long)(steps - 1 - i) * step)
            .Select(start => sums.GetValueOrDefault(start) ?? new TrafficPoint(start, 0, 0, 0)).ToImmutableList();
        return new TrafficHistoryReply(tunnelId, step, points, members.Count, replies.Count);
    }

    public const int RollupDays = 30;

    private async Task<IWireMessage> TrafficRollupsAsync(TrafficRollupsRequest r)
    {
        var tunnelId = r.TunnelId?.Trim().ToLowerInvariant();
        if (tunnelId is { Length: 0 or > 64 }) return new Refusal(ErrorCode.Invalid, "which tunnel? the id is empty or too long");
        if (tunnelId is not null && await AskAsync(regions.Tunnels, new Tunnels.GetTunnel(tunnelId)) is not Tunnels.TunnelReply { Tunnel.Exists: true })
            return new Refusal(ErrorCode.NotFound, $"tunnel {tunnelId} not found");
        if (Readiness is { StoreReachable: false }) return new Refusal(ErrorCode.Unavailable, HistoryDown);
        var now = Now;
        IReadOnlyList<Store.RollupRow> rows;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(RequestCancel))
        {
            timeout.CancelAfter(HistoryTimeout);
            try
            {
                rows = await Traffic.DailyAsync(now, RollupDays, tunnelId, timeout.Token);
            }
            catch (Exception ex)
            {
                _log.Warning("traffic roll-ups unreadable ({0})", ex.Message);
                return new Refusal(ErrorCode.Unavailable, HistoryDown);
            }
        }
        var byDay = rows.ToDictionary(x => x.StartMs / 1000);
        var today = Store.TrafficStore.Start("d", now) / 1000;
        var points = Enumerable.Range(0, RollupDays).Select(i => today - (long)(RollupDays - 1 - i) * 86_400)
            .Select(day => byDay.TryGetValue(day, out var x) ? new TrafficPoint(day, x.BytesIn, x.BytesOut, x.Connections) : new TrafficPoint(day, 0, 0, 0))
            .ToImmutableList();
        // The store holds every node's share: nothing is missing for a node that is down.
        return new TrafficHistoryReply(tunnelId, 86_400, points, 1, 1);
    }
}
