using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Nodes;

namespace Spokes.Actors.Store;

/// <summary>Asks the store for one round trip every <see cref="Interval"/> and keeps
/// <see cref="NodeReadiness.StoreReachable"/> true while it answers within <see cref="Timeout"/>, so
/// <c>/readyz</c> answers at once from memory. A change is one log line.</summary>
public sealed class StoreProbe(StoreLeases store, NodeReadiness readiness, ILogger<StoreProbe> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var reachable = true;
        do
        {
            string? problem = null;
            var began = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                deadline.CancelAfter(Timeout);
                await store.PingAsync(deadline.Token);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                problem = ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : ex.Message;
            }
            if (problem is null != reachable)
            {
                reachable = problem is null;
                if (reachable) log.LogInformation("store: answering again");
                else log.LogWarning("store: not answering ({Problem}); changes are refused until it answers", problem);
            }
            readiness.SetStoreReachable(reachable);
            readiness.StoreLatency = System.Diagnostics.Stopwatch.GetElapsedTime(began);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
