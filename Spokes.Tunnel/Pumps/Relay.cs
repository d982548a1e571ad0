using System.Buffers;

namespace Spokes.Tunnel.Pumps;

/// <summary>State shared by the two directions of one relay: cancellation, idle watch, first failure.</summary>
internal sealed class Relay : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenRegistration _callerCancel;
    private readonly IdleWatch? _idle;
    private readonly Func<Stream, ValueTask>? _completeWrites;
    private int _status = -1;

    public Relay(RelayOptions options, CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _completeWrites = options.CompleteWrites;
        _callerCancel = cancellationToken.Register(static s => ((Relay)s!).Fail(PumpStatus.Canceled, null), this);
        if (options.IdleTimeout > TimeSpan.Zero && options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idle = new IdleWatch(options.IdleTimeout, options.TimeProvider, () => Fail(PumpStatus.IdleTimeout, null));
        }
    }

    public PumpStatus Status => _status < 0 ? PumpStatus.Success : (PumpStatus)_status;

    public Exception? Error { get; private set; }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> until end of stream, then half-closes the destination.</summary>
    public async ValueTask<long> CopyAsync(Stream source, Stream destination, ReadOnlySequence<byte> prefix)
    {
        var token = _stop.Token;
        long bytes = 0;
        byte[]? buffer = null;
        try
        {
            if (!prefix.IsEmpty)
            {
                try
                {
                    foreach (var segment in prefix)
                    {
                        await destination.WriteAsync(segment, token).ConfigureAwait(false);
                    }
                    await destination.FlushAsync(token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Fail(PumpStatus.OutputError, e);
                    return bytes;
                }
                bytes += prefix.Length;
                _idle?.Touch();
            }

            while (true)
            {
                int read;
                try
                {
                    // Hold no buffer while the source is quiet: wait with a zero-byte read, rent when data is there.
                    // A stream that does not support waiting this way completes it at once, which is harmless.
                    var wait = source.ReadAsync(Memory<byte>.Empty, token);
                    if (!wait.IsCompletedSuccessfully)
                    {
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = null;
                        }
                        await wait.ConfigureAwait(false);
                    }
                    buffer ??= ArrayPool<byte>.Shared.Rent(StreamPump.BufferSize);
                    read = await source.ReadAsync(buffer, token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Fail(PumpStatus.InputError, e);
                    return bytes;
                }

                if (read == 0) break;
                _idle?.Touch();
                try
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    // Backpressure: a slow destination holds this direction here, not in a growing queue.
                    await destination.FlushAsync(token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Fail(PumpStatus.OutputError, e);
                    return bytes;
                }
                bytes += read;
                _idle?.Touch();
            }

            bool halfClosed;
            try
            {
                halfClosed = await CompleteWritesAsync(destination).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Fail(PumpStatus.OutputError, e);
                return bytes;
            }
            if (!halfClosed)
            {
                // The destination cannot carry end-of-stream on its own (a Kestrel transport, say): waiting
                // for the other direction could wait for a peer that itself waits for this end. End the relay
                // so the caller's close tells the peer.
                Finish();
            }
            return bytes;
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<bool> CompleteWritesAsync(Stream destination)
    {
        if (_completeWrites is null) return await StreamPump.TryCompleteWritesAsync(destination).ConfigureAwait(false);
        await _completeWrites(destination).ConfigureAwait(false);
        return true;
    }

    /// <summary>Stops the other direction without a failure: the relay ends as a success.</summary>
    private void Finish()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Records the first reason to stop and stops both directions; failures caused by stopping are ignored.</summary>
    private void Fail(PumpStatus status, Exception? error)
    {
        if (_stop.IsCancellationRequested && error is not null) return;
        if (Interlocked.CompareExchange(ref _status, (int)status, -1) == -1)
        {
            Error = error;
        }
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A late timer or caller cancel after the relay ended.
        }
    }

    public void Dispose()
    {
        _callerCancel.Dispose();
        _idle?.Dispose();
        _stop.Dispose();
    }
}
