using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;

namespace Spokes.Edge.Traffic;

/// <summary>
/// Collects the connections this node relayed and writes them to their Tunnel entities in batches (one
/// write per tunnel per <see cref="FlushInterval"/>), which is also how bandwidth is counted.
/// </summary>
public sealed class TrafficRecorder(IServiceProvider services) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(3);
    private ConcurrentQueue<(string TunnelId, ConnectionRecord Record)> _pending = new();

    public void Record(string tunnelId, ConnectionRecord record) => _pending.Enqueue((tunnelId, record));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                Flush();
        }
        catch (OperationCanceledException)
        {
            Flush();
        }
    }

    public void Flush()
    {
        if (_pending.IsEmpty) return;
        // Resolved late: the regions exist only once the actor system runs, after hosted services are built.
        var regions = services.GetRequiredService<SpokesRegions>();
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentQueue<(string TunnelId, ConnectionRecord Record)>());
        foreach (var group in batch.GroupBy(x => x.TunnelId))
            regions.Tunnels.Tell(new RecordTraffic(group.Key, group.Select(x => x.Record).ToImmutableList()), ActorRefs.NoSender);
    }
}
