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

/// <summary>Outcome of one relayed connection: how each direction ended and the bytes it moved.</summary>
public readonly record struct RelayResult(PumpResult ToStream, long BytesToStream, PumpResult FromStream, long BytesFromStream);

/// <summary>
/// The byte pump between a socket-like <see cref="Stream"/> and a <see cref="MuxStream"/>.
/// Reads go straight into the mux stream's pipe memory (no intermediate buffer); a zero-byte
/// read first means an idle connection holds no buffer. Failures are results, not exceptions.
/// </summary>
public static class BytePump
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> until end of input; completes the destination (FIN), or with the error (RST).</summary>
    public static async Task<(PumpResult Result, long Bytes)> CopyAsync(Stream source, PipeWriter destination, CancellationToken cancellationToken = default,
        Action? progress = null)
    {
        long total = 0;
        Exception? failure = null;
        try
        {
            while (true)
            {
                try
                {
                    await source.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                    Memory<byte> memory = destination.GetMemory(16 * 1024);
                    int read = await source.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return (PumpResult.Success, total);
                    }

                    destination.Advance(read);
                    total += read;
                    progress?.Invoke();
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
        Action? progress = null)
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
                        progress?.Invoke();
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
    /// When nothing moved either way for <paramref name="idleTimeout"/>, both directions are canceled (the stream
    /// is reset). The caller disposes <paramref name="connection"/> afterwards.
    /// </summary>
    public static async Task<RelayResult> RelayAsync(MuxStream stream, Stream connection, Action? shutdownSend = null,
        CancellationToken cancellationToken = default, TimeSpan? idleTimeout = null)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var idle = idleTimeout is { } limit && limit > TimeSpan.Zero ? new IdleWatch(limit) : null;
        Task watch = idle?.RunAsync(cancel.Token, cancel) ?? Task.CompletedTask;
        Action? progress = idle is null ? null : idle.Touch;
        Task<(PumpResult Result, long Bytes)> up = CopyAsync(connection, stream.Output, cancel.Token, progress);
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
        idle?.Stop();
        await watch.ConfigureAwait(false);
        return new RelayResult(toStream, toBytes, fromStream, fromBytes);

        async Task<(PumpResult Result, long Bytes)> DownAsync()
        {
            var outcome = await CopyAsync(stream.Input, connection, cancel.Token, progress).ConfigureAwait(false);
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

    /// <summary>Cancels a relay where no byte moved for the limit; checked a few times per limit (at most once a second).</summary>
    private sealed class IdleWatch(TimeSpan limit)
    {
        private readonly CancellationTokenSource _stop = new();
        private long _last = Environment.TickCount64;

        public void Touch() => Volatile.Write(ref _last, Environment.TickCount64);

        public void Stop() => _stop.Cancel();

        public async Task RunAsync(CancellationToken relay, CancellationTokenSource cancelRelay)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(relay, _stop.Token);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(limit.TotalMilliseconds / 4, 50, 1000)));
            try
            {
                while (await timer.WaitForNextTickAsync(linked.Token).ConfigureAwait(false))
                {
                    if (Environment.TickCount64 - Volatile.Read(ref _last) > limit.TotalMilliseconds)
                    {
                        await cancelRelay.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The relay ended first.
            }
            finally
            {
                _stop.Dispose();
            }
        }
    }
}
