namespace Spokes.Tests.Support;

/// <summary>A clock that says what the test wants; timers and timestamps stay real.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
