using System.Collections.Immutable;
using Akka.Event;
using Spokes.Actors.Entities;
using Spokes.Actors.Store;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

/// <summary>A page of one tunnel's relayed connections, newest first (<paramref name="Offset"/> from the newest).</summary>
public sealed record TunnelConnectionsRequest(string TunnelId, int Offset, int Limit) : IAdminRequest;

public sealed record TunnelConnectionsReply(string TunnelId, ImmutableList<ConnectionRecord> Connections, long Total) : IWireMessage;

/// <summary>
/// Traffic history as operators read it (docs/architecture.md, "Traffic history"): connections and byte counters from the
/// <see cref="TrafficStore"/>, plus what a journal written before the history had its own table still holds in each
/// tunnel's state (its last 100 connections and its counters, from <c>TunnelTrafficRecorded</c> events) — added here,
/// in one place, so every listing, quota and page agrees.
/// </summary>
public sealed partial class AdminOperations
{
    public const int MaxConnectionsPage = 1000;
    private static readonly TimeSpan HistoryTimeout = TimeSpan.FromSeconds(5);
    private const string HistoryDown = "the store does not answer: the traffic history cannot be read until it is back";

    public required TrafficStore Traffic { get; init; }

    /// <summary>Bytes recorded per tunnel; empty (and a warning) when the store does not answer, so listings still do.</summary>
    private async Task<IReadOnlyDictionary<string, TrafficTotals>> RecordedTrafficAsync(DateTimeOffset now, string? tunnelId = null)
    {
        if (Readiness is { StoreReachable: false }) return ImmutableDictionary<string, TrafficTotals>.Empty;
        using var timeout = new CancellationTokenSource(HistoryTimeout);
        try
        {
            return await Traffic.TotalsAsync(now, tunnelId, timeout.Token);
        }
        catch (Exception ex)
        {
            _log.Warning("traffic history unreadable ({0}); byte figures show only what tunnel states hold", ex.Message);
            return ImmutableDictionary<string, TrafficTotals>.Empty;
        }
    }

    public static TrafficTotals TrafficOf(TunnelState t, IReadOnlyDictionary<string, TrafficTotals> recorded, DateTimeOffset now) =>
        recorded.GetValueOrDefault(t.Id, TrafficTotals.None).Plus(new TrafficTotals(t.DailyAt(now), t.MonthlyAt(now), t.BytesTotal));

    /// <summary>What a tunnel relayed, today, this month and ever.</summary>
    public async Task<TrafficTotals> TrafficOfAsync(TunnelState t) =>
        TrafficOf(t, await RecordedTrafficAsync(Now, t.Id), Now);

    private async Task<long> MonthlyBytesAsync(IReadOnlyCollection<TunnelState> tunnels)
    {
        var now = Now;
        var recorded = await RecordedTrafficAsync(now);
        return tunnels.Sum(t => TrafficOf(t, recorded, now).Monthly);
    }

    private async Task<IWireMessage> TunnelConnectionsAsync(TunnelConnectionsRequest r)
    {
        if (r.Offset < 0 || r.Limit is < 1 or > MaxConnectionsPage)
            return new Refusal(ErrorCode.Invalid, $"offset must be ≥ 0 and limit between 1 and {MaxConnectionsPage}");
        var id = r.TunnelId.Trim().ToLowerInvariant();
        if (id.Length is 0 or > 64) return new Refusal(ErrorCode.Invalid, "which tunnel? the id is empty or too long");
        if (await AskAsync(regions.Tunnels, new GetTunnel(id)) is not TunnelReply { Tunnel: { Exists: true } tunnel })
            return new Refusal(ErrorCode.NotFound, $"tunnel {id} not found");
        if (Readiness is { StoreReachable: false }) return new Refusal(ErrorCode.Unavailable, HistoryDown);
        ConnectionPage page;
        using (var timeout = new CancellationTokenSource(HistoryTimeout))
        {
            try
            {
                page = await Traffic.ConnectionsAsync(id, r.Offset, r.Limit, timeout.Token);
            }
            catch (Exception ex)
            {
                _log.Warning("traffic history unreadable ({0})", ex.Message);
                return new Refusal(ErrorCode.Unavailable, HistoryDown);
            }
        }
        var (rows, total) = WithLegacy(page, tunnel.RecentConnections, r.Offset, r.Limit);
        return new TunnelConnectionsReply(id, rows, total);
    }

    /// <summary>A page of the store's rows (<paramref name="offset"/>, <paramref name="limit"/>) continued by the connections
    /// a journal holds in the tunnel's state, which are older than every row of the table.</summary>
    public static (ImmutableList<ConnectionRecord> Rows, long Total) WithLegacy(ConnectionPage page, IReadOnlyCollection<ConnectionRecord> legacy,
        int offset, int limit)
    {
        var fromLegacy = (int)Math.Min(legacy.Count, Math.Max(0, offset - page.Total));
        var rows = page.Connections.AddRange(legacy.OrderByDescending(c => c.Closed).Skip(fromLegacy).Take(limit - page.Connections.Count));
        return (rows, page.Total + legacy.Count);
    }
}
