namespace Spokes.Actors.Gateway;

/// <summary>
/// The deadline of the call in progress — an operator's request, an agent's request, a pushed rule — flowing with its
/// awaits (like <c>Activity.Current</c>) so that every step, however deep, waits only for what is left of it. A call
/// begun inside another ends no later than the outer one. Outside a call a step has its own timeout.
/// See docs/internals.md, "Timeouts".
/// </summary>
public static class CallDeadline
{
    private static readonly AsyncLocal<Call?> Current = new();

    /// <summary>Bounds the code that follows in this flow by <paramref name="total"/> (and the caller's token) until
    /// the scope is disposed. Synchronous on purpose: the value it sets stays with the caller's flow.</summary>
    public static IDisposable Begin(TimeSpan total, CancellationToken cancellationToken = default)
    {
        var outer = Current.Value;
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, outer?.Source.Token ?? default);
        var deadline = Environment.TickCount64 + (long)total.TotalMilliseconds;
        if (outer is not null && outer.Deadline < deadline) deadline = outer.Deadline;
        source.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)));
        var call = new Call(source, deadline, outer);
        Current.Value = call;
        return call;
    }

    /// <summary>What is left of the call, or null outside one.</summary>
    public static TimeSpan? Left => Current.Value is { } call
        ? TimeSpan.FromMilliseconds(Math.Max(0, call.Deadline - Environment.TickCount64))
        : null;

    /// <summary>What one step may wait: its own timeout, or less when the call's deadline is nearer (at least 1 ms).</summary>
    public static TimeSpan Wait(TimeSpan step) =>
        Left is { } left && left < step ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) : step;

    /// <summary>Cancelled when the call's deadline passes or its caller gives up; none outside a call.</summary>
    public static CancellationToken Token => Current.Value?.Source.Token ?? default;

    private sealed record Call(CancellationTokenSource Source, long Deadline, Call? Outer) : IDisposable
    {
        public void Dispose()
        {
            if (ReferenceEquals(Current.Value, this)) Current.Value = Outer;
            Source.Dispose();
        }
    }
}
