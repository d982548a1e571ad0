using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Store;
using Spokes.Actors.Tunnels;

namespace Spokes.Edge.Traffic;

/// <summary>
/// Collects the connections this node relayed and writes them to the traffic history (<see cref="TrafficStore"/>) in
/// one batch every <see cref="FlushInterval"/>, which is also how bandwidth is counted. While the store does not take
/// a batch it is kept and tried again, up to <see cref="MaxPending"/> connections (beyond that new ones are counted
/// and dropped, with a warning). Every <see cref="PruneInterval"/> it deletes what is older than the retention.
/// </summary>
public sealed class TrafficRecorder(TrafficStore store, TimeProvider time, ILogger<TrafficRecorder> log) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);
    public const int MaxPending = 100_000;
    public const int MaxBatch = 5_000;

    private readonly ConcurrentQueue<(string TunnelId, ConnectionRecord Record)> _pending = new();
    private int _count;
    private long _dropped;
    private bool _failing;

    public void Record(string tunnelId, ConnectionRecord record)
    {
        if (Interlocked.Increment(ref _count) > MaxPending)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _pending.Enqueue((tunnelId, record));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        var nextPrune = time.GetUtcNow() + FlushInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
                if (time.GetUtcNow() < nextPrune) continue;
                nextPrune = time.GetUtcNow() + PruneInterval;
                await PruneAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FlushAsync(last.Token);
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
            log.LogWarning("traffic history: {Count} connections not recorded (more than {Max} were waiting for the store)", dropped, MaxPending);
        while (!_pending.IsEmpty)
        {
            var batch = new List<(string TunnelId, ConnectionRecord Record)>(Math.Min(MaxBatch, Volatile.Read(ref _count)));
            while (batch.Count < MaxBatch && _pending.TryDequeue(out var item)) batch.Add(item);
            try
            {
                await store.WriteAsync(batch, ct);
                Interlocked.Add(ref _count, -batch.Count);
                if (_failing) log.LogInformation("traffic history: the store takes connections again");
                _failing = false;
            }
            catch (Exception ex)
            {
                // Kept for the next pass (rows carry their own times, so their order does not matter).
                foreach (var item in batch) _pending.Enqueue(item);
                if (!_failing) log.LogWarning("traffic history: the store did not take {Count} connections ({Reason}); kept, trying again", batch.Count, ex.Message);
                _failing = true;
                return;
            }
        }
    }

    private async Task PruneAsync(CancellationToken ct)
    {
        try
        {
            if (await store.PruneAsync(time.GetUtcNow(), ct) is var deleted and > 0)
                log.LogInformation("traffic history: {Count} rows older than {Days} days deleted", deleted, store.Retention.TotalDays);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning("traffic history: pruning failed ({Reason}); trying again in {Interval}", ex.Message, PruneInterval);
        }
    }
}
