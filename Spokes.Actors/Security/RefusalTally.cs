namespace Spokes.Actors.Security;

/// <summary>
/// Refusals of untrusted input (a port scan, a flood, a guessing agent) are logged as one line per interval with a
/// count of those not logged, never one line each (docs/reliability.md, "Quiet, honest output").
/// </summary>
public sealed class RefusalTally(TimeSpan interval)
{
    private readonly Lock _gate = new();
    private long _next;
    private int _suppressed;

    public static RefusalTally Every10Seconds() => new(TimeSpan.FromSeconds(10));

    /// <summary>Notes one refusal; true when it is to be logged, with <paramref name="more"/> naming those that were not
    /// (empty when none).</summary>
    public bool Note(out string more)
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (now < _next)
            {
                _suppressed++;
                more = "";
                return false;
            }
            more = _suppressed > 0 ? $" ({_suppressed} more refused in the last {interval.TotalSeconds:0} s)" : "";
            _suppressed = 0;
            _next = now + (long)interval.TotalMilliseconds;
            return true;
        }
    }
}
