using System.Buffers;
using System.IO.Pipelines;

namespace Spokes.Tunnel.Mux;

public enum PumpResult
{
    Success,
    InputError,
    OutputError,
    Canceled,
}

/// <summary>Outcome of one relayed connection: how each direction ended and the bytes it moved (toward the stream or
/// tunnel, and back toward the connection or client).</summary>
public readonly record struct RelayResult(PumpResult ToStream, long BytesToStream, PumpResult FromStream, long BytesFromStream);

/// <summary>
/// What watches a relay: nothing moved either way for <paramref name="Idle"/> (zero or less: no limit) ends it;
/// while <paramref name="Draining"/> holds and <paramref name="CutWhenQuiet"/> is set it also ends at a quiet moment
/// after an answer (nothing from the client since the last bytes toward it, and those <see cref="BytePump.DrainQuiet"/>
/// ago) — a keep-alive HTTP connection between requests, so the client's next request opens a new connection, which
/// the balancer sends to another node. <paramref name="Count"/> is told every batch of bytes moved.
/// </summary>
public sealed record RelayPolicy(Func<TimeSpan> Idle, Func<bool> Draining, bool CutWhenQuiet, Action<long>? Count = null)
{
    /// <summary>Told every batch of bytes moved with its way (true: towards the client), e.g. a tunnel's own counters.</summary>
    public Action<long, bool>? CountWay { get; init; }

    /// <summary>Only an idle limit (none when null).</summary>
    public static RelayPolicy IdleFor(TimeSpan? idle, Action<long>? count = null) =>
        new(() => idle ?? TimeSpan.Zero, static () => false, CutWhenQuiet: false, count);
}

/// <summary>
/// The one byte pump: between a socket-like <see cref="Stream"/> and a <see cref="MuxStream"/> (leased ports, the
/// agent's services), and between two pipes (a Kestrel connection or another mux stream, and a mux stream).
/// Stream reads go straight into the mux stream's pipe memory (no intermediate buffer), up to 64 KiB at a time; a
/// zero-byte read whenever the source was emptied means an idle connection holds no buffer. Failures are results,
/// not exceptions.
/// </summary>
public static class BytePump
{
    public static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(250);

    /// <summary>What one read from a connection asks for: a frame's payload, so a busy stream moves in whole frames.</summary>
    private const int ReadSize = 64 * 1024;

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> until end of input; completes the destination (FIN), or with the error (RST).</summary>
    public static async Task<(PumpResult Result, long Bytes)> CopyAsync(Stream source, PipeWriter destination, CancellationToken cancellationToken = default,
        Action<long>? progress = null)
    {
        long total = 0;
        Exception? failure = null;
        bool emptied = true;
        try
        {
            while (true)
            {
                try
                {
                    if (emptied)
                    {
                        await source.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                    }

                    Memory<byte> memory = destination.GetMemory(ReadSize);
                    int read = await source.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return (PumpResult.Success, total);
                    }

                    // A read that filled its buffer left more behind: read again at once. A short one emptied the
                    // source, so the next wait is a zero-byte read again.
                    emptied = read < memory.Length;
                    destination.Advance(read);
                    total += read;
                    progress?.Invoke(read);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failure = ex;
                    return (PumpResult.InputError, total);
                }

                try
                {
                    FlushResult flushed = await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        return (PumpResult.OutputError, total);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return (PumpResult.OutputError, total);
                }
            }
        }
        catch (OperationCanceledException ex)
        {
            failure = ex;
            return (PumpResult.Canceled, total);
        }
        finally
        {
            await destination.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> until the source completes (the peer's FIN).</summary>
    public static async Task<(PumpResult Result, long Bytes)> CopyAsync(PipeReader source, Stream destination, CancellationToken cancellationToken = default,
        Action<long>? progress = null)
    {
        long total = 0;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return (PumpResult.InputError, total);
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        await destination.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                    }

                    total += buffer.Length;
                    if (!buffer.IsEmpty)
                    {
                        progress?.Invoke(buffer.Length);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return (PumpResult.OutputError, total);
                }
                finally
                {
                    source.AdvanceTo(buffer.End);
                }

                if (result.IsCompleted)
                {
                    await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return (PumpResult.Success, total);
                }

                if (result.IsCanceled)
                {
                    return (PumpResult.Canceled, total);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (PumpResult.Canceled, total);
        }
    }

    /// <summary>
    /// Relays both directions between a visitor or service connection and a mux stream. When the
    /// mux side finishes cleanly, <paramref name="shutdownSend"/> half-closes the connection
    /// (e.g. <c>socket.Shutdown(SocketShutdown.Send)</c>); when either side fails, the stream is reset.
    /// When <paramref name="policy"/> ends the relay (idle, or a drain), both directions are canceled (the stream
    /// is reset). The caller disposes <paramref name="connection"/> afterwards.
    /// </summary>
    public static async Task<RelayResult> RelayAsync(MuxStream stream, Stream connection, Action? shutdownSend = null,
        RelayPolicy? policy = null, CancellationToken cancellationToken = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var activity = policy is null ? null : new Activity(policy);
        Task watch = activity?.WatchAsync(cancel) ?? Task.CompletedTask;
        Action<long>? touchUp = activity is null ? null : bytes => activity.Touch(bytes, toClient: false);
        Action<long>? touchDown = activity is null ? null : bytes => activity.Touch(bytes, toClient: true);
        Task<(PumpResult Result, long Bytes)> up = CopyAsync(connection, stream.Output, cancel.Token, touchUp);
        Task<(PumpResult Result, long Bytes)> down = DownAsync();
        Task<(PumpResult Result, long Bytes)> first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if ((await first.ConfigureAwait(false)).Result != PumpResult.Success)
        {
            stream.Reset();
            cancel.Cancel();
        }

        var (toStream, toBytes) = await up.ConfigureAwait(false);
        var (fromStream, fromBytes) = await down.ConfigureAwait(false);
        if (toStream != PumpResult.Success || fromStream != PumpResult.Success)
        {
            stream.Reset();
        }

        await stream.Input.CompleteAsync().ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        return new RelayResult(toStream, toBytes, fromStream, fromBytes);

        async Task<(PumpResult Result, long Bytes)> DownAsync()
        {
            var outcome = await CopyAsync(stream.Input, connection, cancel.Token, touchDown).ConfigureAwait(false);
            if (outcome.Result == PumpResult.Success)
            {
                try
                {
                    shutdownSend?.Invoke();
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    return (PumpResult.OutputError, outcome.Bytes);
                }
            }

            return outcome;
        }
    }

    /// <summary>
    /// Relays both directions between a client's pipes (a Kestrel connection, or a peer node's mux stream) and a
    /// tunnel's (a mux stream). Each direction completes its destination when its source ends (a FIN toward the agent;
    /// the client side closes with its last byte); a failed direction (reset, error) ends the whole relay, a clean end
    /// lets the other side finish. <paramref name="policy"/> ends relays that idle, or, while draining, are quiet.
    /// </summary>
    public static async Task<RelayResult> RelayAsync(IDuplexPipe client, IDuplexPipe tunnel, RelayPolicy policy,
        CancellationToken cancellationToken = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var activity = new Activity(policy);
        var watch = activity.WatchAsync(cancel);
        var up = CopyAsync(client.Input, tunnel.Output, bytes => activity.Touch(bytes, toClient: false), cancel.Token);
        var down = CopyAsync(tunnel.Input, client.Output, bytes => activity.Touch(bytes, toClient: true), cancel.Token);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if ((await first.ConfigureAwait(false)).Result != PumpResult.Success) await cancel.CancelAsync().ConfigureAwait(false);
        var (toTunnel, toTunnelBytes) = await up.ConfigureAwait(false);
        var (toClient, toClientBytes) = await down.ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        return new RelayResult(toTunnel, toTunnelBytes, toClient, toClientBytes);
    }

    /// <summary>Copies one pipe into another until the source ends or the destination's reader is gone (both clean);
    /// completes the destination (with the error, if one ended the copy) and the source.</summary>
    private static async Task<(PumpResult Result, long Bytes)> CopyAsync(PipeReader source, PipeWriter destination, Action<long> progress,
        CancellationToken cancellationToken)
    {
        long total = 0;
        Exception? failure = null;
        var result = PumpResult.Success;
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    (failure, result) = (ex, PumpResult.InputError);
                    return (result, total);
                }
                var buffer = read.Buffer;
                var length = buffer.Length;
                try
                {
                    foreach (var segment in buffer)
                        destination.Write(segment.Span);
                }
                catch (Exception ex)
                {
                    (failure, result) = (ex, PumpResult.OutputError);
                    return (result, total);
                }
                finally
                {
                    source.AdvanceTo(buffer.End);
                }
                total += length;
                if (length > 0)
                {
                    progress(length);
                    FlushResult flushed;
                    try
                    {
                        flushed = await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        (failure, result) = (ex, PumpResult.OutputError);
                        return (result, total);
                    }
                    if (flushed.IsCompleted) return (result, total);
                }
                if (read.IsCompleted || read.IsCanceled) return (result, total);
            }
        }
        catch (OperationCanceledException)
        {
            result = PumpResult.Canceled;
            return (result, total);
        }
        finally
        {
            await destination.CompleteAsync(failure).ConfigureAwait(false);
            await source.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>When bytes last moved each way, and the watchdog that ends a relay by its <see cref="RelayPolicy"/>.</summary>
    private sealed class Activity(RelayPolicy policy)
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
            policy.Count?.Invoke(bytes);
            policy.CountWay?.Invoke(bytes, toClient);
        }

        /// <summary>The client was answered (bytes toward it came after its last bytes) and all has been quiet since.</summary>
        private bool QuietAfterAnswer(long now)
        {
            long down = Volatile.Read(ref _lastDown), up = Volatile.Read(ref _lastUp);
            return down >= up && now - down >= DrainQuiet.TotalMilliseconds;
        }

        /// <summary>Checks a few times per idle limit (at most once a second; every 50 ms while draining) until the relay
        /// ends (<paramref name="relay"/> is canceled) or the policy ends it.</summary>
        public async Task WatchAsync(CancellationTokenSource relay)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (true)
                {
                    var idle = policy.Idle();
                    var draining = policy.Draining();
                    var now = Environment.TickCount64;
                    if (idle > TimeSpan.Zero && now - Volatile.Read(ref _last) > idle.TotalMilliseconds
                        || draining && policy.CutWhenQuiet && QuietAfterAnswer(now))
                    {
                        await relay.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                    var period = draining ? TimeSpan.FromMilliseconds(50)
                        : idle > TimeSpan.Zero ? TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 50, 1000)) : TimeSpan.FromSeconds(1);
                    if (timer.Period != period) timer.Period = period;
                    if (!await timer.WaitForNextTickAsync(relay.Token).ConfigureAwait(false)) return;
                }
            }
            catch (OperationCanceledException)
            {
                // The relay ended first.
            }
        }
    }
}
