using System.IO.Pipelines;
using System.Buffers;
using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>Flow control and peer events; called by the session's read and write loops.</summary>
public sealed partial class MuxStream
{
    /// <summary>Read loop: buffer a Data payload. Never waits: the receive pipe has no pause threshold, the window bounds it.</summary>
    internal void OnData(in ReadOnlySequence<byte> payload)
    {
        long length = payload.Length;
        if (length > Volatile.Read(ref _receiveWindow))
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError,
                $"stream {Id} received {length} bytes beyond its window of {Volatile.Read(ref _receiveWindow)}");
        }

        Interlocked.Add(ref _receiveWindow, -length);
        if (_reset != 0)
        {
            return;
        }

        // One frame's payload (at most 64 KiB) goes into one segment of the receive pipe, so the consumer writes a
        // whole frame to its socket with one send rather than one per 16 KiB segment.
        var writer = _receive.Writer;
        payload.CopyTo(writer.GetSpan((int)length));
        writer.Advance((int)length);

        ValueTask<FlushResult> flush = writer.FlushAsync();
        bool readerGone = !flush.IsCompletedSuccessfully || flush.Result.IsCompleted;
        if (readerGone)
        {
            // The application stopped reading: discard, but keep the peer's window open.
            OnConsumed(length);
        }
    }

    /// <summary>Application consumed bytes from Input: advertise them back in batches.</summary>
    internal void OnConsumed(long bytes)
    {
        if (bytes <= 0 || _remoteFin || _reset != 0)
        {
            return;
        }

        long pending = Interlocked.Add(ref _unadvertised, bytes);
        if (pending >= Volatile.Read(ref _updateThreshold) && Interlocked.CompareExchange(ref _updateQueued, 1, 0) == 0)
        {
            _session.EnqueueWindowUpdate(this);
        }
    }

    /// <summary>Write loop: take the delta to advertise now (0 when nothing is due).</summary>
    internal uint TakeWindowUpdate()
    {
        Volatile.Write(ref _updateQueued, 0);
        long delta = Interlocked.Exchange(ref _unadvertised, 0);
        if (delta <= 0 || _remoteFin || _reset != 0)
        {
            return 0;
        }

        delta += GrowWindow(delta);
        Interlocked.Add(ref _receiveWindow, delta);
        return (uint)delta;
    }

    /// <summary>
    /// Write loop, with an update due: when the peer used <paramref name="consumed"/> bytes of the window faster than
    /// the window could sustain over the round trip (under 4 RTT for the whole window, as quic-go decides), the
    /// window doubles, up to <see cref="MuxOptions.MaxReceiveWindow"/> and while the session's growth budget lasts.
    /// Returns the extra credit to advertise.
    /// </summary>
    private long GrowWindow(long consumed)
    {
        long now = _time.GetTimestamp();
        TimeSpan elapsed = _time.GetElapsedTime(_epoch, now);
        _epoch = now;
        if (_window >= _maxWindow)
        {
            return 0;
        }

        double sustainable = 4 * _session.RoundTrip.TotalSeconds * consumed / _window;
        if (elapsed.TotalSeconds >= sustainable)
        {
            return 0;
        }

        int extra = Math.Min(_window, _maxWindow - _window);
        if (!_session.TryReserveWindowGrowth(extra))
        {
            return 0;
        }

        _window += extra;
        Interlocked.Add(ref _grown, extra);
        Volatile.Write(ref _updateThreshold, Math.Max(_window / 4, 1));
        return extra;
    }

    /// <summary>The stream is gone: its growth goes back to the session's budget.</summary>
    internal long TakeWindowGrowth()
    {
        return Interlocked.Exchange(ref _grown, 0);
    }

    /// <summary>Read loop: the peer's ACK for a stream this side opened.</summary>
    internal void OnAccepted()
    {
        Volatile.Write(ref _acknowledged, 1);
        Volatile.Read(ref _acceptWaiter)?.TrySetResult();
    }

    /// <summary>Read loop: the peer granted more send window.</summary>
    internal void OnWindowUpdate(uint delta)
    {
        if (Interlocked.Add(ref _sendWindow, delta) > int.MaxValue)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, $"stream {Id} window grew beyond 2^31-1");
        }
    }

    /// <summary>Read loop: FIN from the peer completes Input; returns true when both sides are done.</summary>
    internal bool OnRemoteFin()
    {
        if (_remoteFin)
        {
            return false;
        }

        _remoteFin = true;
        _receive.Writer.Complete();
        return Interlocked.Increment(ref _finCount) == 2;
    }

    /// <summary>Write loop: our FIN is on the wire; returns true when both sides are done.</summary>
    internal bool OnLocalFinSent()
    {
        LocalFinSent = true;
        CompleteSendReader(null);
        return Interlocked.Increment(ref _finCount) == 2;
    }

    /// <summary>Read loop: RST from the peer aborts both directions.</summary>
    internal bool OnRemoteReset()
    {
        _resetByPeer = true;
        if (Interlocked.Exchange(ref _reset, 1) != 0)
        {
            return false;
        }

        var error = new MuxStreamResetException(Id, byPeer: true);
        _failure = error;
        if (!_remoteFin)
        {
            _remoteFin = true;
            _receive.Writer.Complete(error);
        }

        _send.Writer.CancelPendingFlush();
        Volatile.Read(ref _acceptWaiter)?.TrySetResult();
        return true;
    }

    /// <summary>The session ended: fail whatever is still open. Runs after both loops stopped.</summary>
    internal void AbortBySession(Exception error)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _failure ??= error;
        if (!_remoteFin)
        {
            _remoteFin = true;
            _receive.Writer.Complete(error);
        }

        CompleteSendReader(error);
        Volatile.Read(ref _acceptWaiter)?.TrySetResult();
    }

    internal void CompleteSendReader(Exception? error)
    {
        if (!SendReaderDone)
        {
            SendReaderDone = true;
            _send.Reader.Complete(error);
        }
    }
}
