using System.Buffers;
using System.IO.Pipelines;

namespace Spokes.Edge.Relay;

/// <summary>Bytes moved by one relayed connection.</summary>
public readonly record struct RelayedBytes(long FromClient, long ToClient);

/// <summary>
/// Relays between a public connection's pipes (Kestrel transport) and a tunnel stream's pipes. Each direction
/// completes its destination when its source ends (a FIN toward the agent; the client side closes with its
/// last byte). A watchdog ends connections where nothing moved for the idle limit; while the node drains it
/// also ends a connection at a quiet moment after an answer (nothing from the visitor since the last bytes
/// toward it, and those <see cref="DrainQuiet"/> ago) — a keep-alive connection between requests — so the
/// visitor's next request opens a new connection, which the balancer sends to another node.
/// </summary>
public static class PipeRelay
{
    public static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(250);

    public static async Task<RelayedBytes> RelayAsync(IDuplexPipe client, IDuplexPipe tunnel, RelayPolicy policy,
        Traffic.TrafficMeter meter, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var activity = new Activity(meter);
        var watchdog = WatchAsync(activity, policy, cts);
        var up = CopyAsync(client.Input, tunnel.Output, activity, toClient: false, cts.Token);
        var down = CopyAsync(tunnel.Input, client.Output, activity, toClient: true, cts.Token);
        var first = await Task.WhenAny(up, down);
        // A failed direction (reset, error) ends the whole relay; a clean end lets the other side finish.
        if (!first.Result.Clean) await cts.CancelAsync();
        var results = await Task.WhenAll(up, down);
        await cts.CancelAsync();
        await watchdog;
        return new RelayedBytes(results[0].Bytes, results[1].Bytes);
    }

    private static async Task<(long Bytes, bool Clean)> CopyAsync(PipeReader source, PipeWriter destination, Activity activity,
        bool toClient, CancellationToken ct)
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
                    activity.Touch(buffer.Length, toClient);
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

    private static async Task WatchAsync(Activity activity, RelayPolicy policy, CancellationTokenSource cts)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cts.Token))
            {
                var draining = policy.Draining();
                var period = draining ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromSeconds(1);
                if (timer.Period != period) timer.Period = period;
                if (activity.IdleFor > policy.Idle() || draining && policy.CutWhenQuiet && activity.QuietAfterAnswer(DrainQuiet))
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
        private long _lastUp = Environment.TickCount64;
        private long _lastDown;

        public void Touch(long bytes, bool toClient)
        {
            var now = Environment.TickCount64;
            Volatile.Write(ref _last, now);
            if (toClient) Volatile.Write(ref _lastDown, now);
            else Volatile.Write(ref _lastUp, now);
            meter.AddBytes(bytes);
        }

        public TimeSpan IdleFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _last));

        /// <summary>The visitor was answered (bytes toward it came after its last bytes) and all has been quiet since.</summary>
        public bool QuietAfterAnswer(TimeSpan quiet)
        {
            long down = Volatile.Read(ref _lastDown), up = Volatile.Read(ref _lastUp);
            return down >= up && Environment.TickCount64 - down >= quiet.TotalMilliseconds;
        }
    }
}

/// <summary>How long relays may idle, and whether the node drains (then HTTP relays may be cut between answers).</summary>
public sealed record RelayPolicy(Func<TimeSpan> Idle, Func<bool> Draining, bool CutWhenQuiet);
