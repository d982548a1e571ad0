namespace Spokes.Tunnel.Pumps;

/// <summary>
/// One timer per relay: copy loops only stamp the time of their last progress (a volatile write),
/// and the timer re-arms itself for the remaining time instead of being reset on every read.
/// </summary>
internal sealed class IdleWatch : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Action _onIdle;
    private readonly ITimer _timer;
    private long _lastProgress;

    public IdleWatch(TimeSpan timeout, TimeProvider time, Action onIdle)
    {
        _timeout = timeout;
        _time = time;
        _onIdle = onIdle;
        _lastProgress = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((IdleWatch)state!).Check(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    public void Touch() => Volatile.Write(ref _lastProgress, _time.GetTimestamp());

    private void Check()
    {
        var idle = _time.GetElapsedTime(Volatile.Read(ref _lastProgress));
        if (idle >= _timeout)
        {
            _onIdle();
            return;
        }
        try
        {
            _timer.Change(_timeout - idle, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The relay ended while this check ran.
        }
    }

    public void Dispose() => _timer.Dispose();
}
