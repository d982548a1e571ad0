using System.Buffers;
using System.IO.Pipelines;

namespace Spokes.Edge.Relay;

/// <summary>Bytes moved by one relayed connection.</summary>
public readonly record struct RelayedBytes(long FromClient, long ToClient);

/// <summary>
/// Relays between a public connection's pipes (Kestrel transport) and a tunnel stream's pipes. Each direction
/// completes its destination when its source ends (a FIN toward the agent; the client side closes with its
/// last byte). An idle watchdog ends connections where nothing moved for the idle limit, read at every check
/// (it shrinks while the node drains).
/// </summary>
public static class PipeRelay
{
    public static async Task<RelayedBytes> RelayAsync(IDuplexPipe client, IDuplexPipe tunnel, Func<TimeSpan> idleTimeout,
        Traffic.TrafficMeter meter, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var activity = new Activity(meter);
        var watchdog = WatchAsync(activity, idleTimeout, cts);
        var up = CopyAsync(client.Input, tunnel.Output, activity, cts.Token);
        var down = CopyAsync(tunnel.Input, client.Output, activity, cts.Token);
        var first = await Task.WhenAny(up, down);
        // A failed direction (reset, error) ends the whole relay; a clean end lets the other side finish.
        if (!first.Result.Clean) await cts.CancelAsync();
        var results = await Task.WhenAll(up, down);
        await cts.CancelAsync();
        await watchdog;
        return new RelayedBytes(results[0].Bytes, results[1].Bytes);
    }

    private static async Task<(long Bytes, bool Clean)> CopyAsync(PipeReader source, PipeWriter destination, Activity activity,
        CancellationToken ct)
    {
        long total = 0;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(ct);
                var buffer = read.Buffer;
                foreach (var segment in buffer)
                    destination.Write(segment.Span);
                total += buffer.Length;
                source.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    activity.Touch(buffer.Length);
                    var flushed = await destination.FlushAsync(ct);
                    if (flushed.IsCompleted) return (total, true);
                }
                if (read.IsCompleted || read.IsCanceled) return (total, true);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            return (total, false);
        }
        finally
        {
            await destination.CompleteAsync(failure is OperationCanceledException ? null : failure);
            await source.CompleteAsync();
        }
    }

    private static async Task WatchAsync(Activity activity, Func<TimeSpan> idleTimeout, CancellationTokenSource cts)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cts.Token))
            {
                if (activity.IdleFor > idleTimeout())
                {
                    await cts.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The relay finished.
        }
    }

    private sealed class Activity(Traffic.TrafficMeter meter)
    {
        private long _last = Environment.TickCount64;

        public void Touch(long bytes)
        {
            Volatile.Write(ref _last, Environment.TickCount64);
            meter.AddBytes(bytes);
        }

        public TimeSpan IdleFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _last));
    }
}
