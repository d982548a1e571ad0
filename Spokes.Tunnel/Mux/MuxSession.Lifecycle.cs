using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>Starting, closing and cleaning up a session.</summary>
public sealed partial class MuxSession
{
    private async Task RunAsync()
    {
        Task read = Task.Run(ReadLoopAsync);
        Task write = Task.Run(WriteLoopAsync);
        try
        {
            await Task.WhenAll(read, write).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            CloseReason ??= ex;
        }

        Cleanup();
    }

    /// <summary>Stops both loops; with a code, the write loop first flushes GoAway(code) (bounded by GoAwayTimeout).</summary>
    private void Close(Exception? reason, GoAwayCode? goAway)
    {
        if (Interlocked.Exchange(ref _closeState, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        if (goAway is { } code)
        {
            Interlocked.Exchange(ref _localGoAway, 1);
            EnqueueControl(new ControlFrame(new FrameHeader(FrameType.GoAway, FrameFlags.None, 0, (uint)code)), force: true);
            _closeTimer = _options.TimeProvider.CreateTimer(
                static state => ((MuxSession)state!)._output.CancelPendingFlush(), this, _options.GoAwayTimeout, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _output.CancelPendingFlush();
        }

        _closing = true;
        Signal();
        _input.CancelPendingRead();
    }

    private void Cleanup()
    {
        _cleanedUp = true;
        var error = new MuxException(CloseReason is null ? "the session is closed" : $"the session is closed: {CloseReason.Message}", CloseReason);
        foreach (var stream in _streams.Values)
        {
            stream.AbortBySession(error);
        }

        _streams.Clear();
        Volatile.Write(ref _streamCount, 0);
        _accepted.Writer.TryComplete();
        foreach (var ping in _pings.Values)
        {
            ping.Reply.TrySetException(error);
        }

        _closeTimer?.Dispose();
        _completion.TrySetResult();
    }

    internal void OnLocalReset(MuxStream stream)
    {
        // The RST is written by the write loop after the stream's SYN, never before it.
        Remove(stream);
        Schedule(stream);
    }

    private void Remove(MuxStream stream)
    {
        if (_streams.TryRemove(new KeyValuePair<uint, MuxStream>(stream.Id, stream)))
        {
            Interlocked.Decrement(ref _streamCount);
            Interlocked.Add(ref _windowGrowth, -stream.TakeWindowGrowth());
        }
    }
}
