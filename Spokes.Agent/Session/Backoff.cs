namespace Spokes.Agent.Session;

/// <summary>Jittered exponential backoff: 0.5 s, 1 s, 2 s … capped at 30 s, each delay scaled by 0.75–1.25.</summary>
internal sealed class Backoff(Random random, TimeSpan? initial = null, TimeSpan? cap = null)
{
    private readonly TimeSpan _initial = initial ?? TimeSpan.FromSeconds(0.5);
    private readonly TimeSpan _cap = cap ?? TimeSpan.FromSeconds(30);
    private int _attempt;

    public TimeSpan Next()
    {
        double baseSeconds = Math.Min(_cap.TotalSeconds, _initial.TotalSeconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        double jittered = baseSeconds * (0.75 + (random.NextDouble() * 0.5));
        return TimeSpan.FromSeconds(Math.Min(jittered, _cap.TotalSeconds));
    }

    /// <summary>After a session was established the next failure starts from the initial delay again.</summary>
    public void Reset() => _attempt = 0;
}
