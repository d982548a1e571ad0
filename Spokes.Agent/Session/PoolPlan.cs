namespace Spokes.Agent.Session;

/// <summary>Tuning of the pool of data connections and of the reconnect backoff.</summary>
internal sealed record AgentOptions
{
    public static AgentOptions Default { get; } = new();

    /// <summary>Open another data connection when the existing ones carry more streams than this on average.</summary>
    public int StreamsPerConnection { get; init; } = 64;

    /// <summary>An extra data connection without streams for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan PoolCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pings on every leg's first connection; a silent node (hung, not crashed) is left after
    /// interval + timeout.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a node could not be reached (or a leg to it was lost), wait this long before dialling it again.</summary>
    public TimeSpan LegRetry { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a request to the node is waited for: longer than the node gives itself to answer (20 s, its
    /// control loop), shorter than the agent's own CLI waits for the agent (30 s). See docs/internals.md, "Timeouts".</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(25);

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(0.5);

    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Pool decisions as pure functions, so they are testable without connections.</summary>
internal static class PoolPlan
{
    /// <summary>Grow when below the node's maximum and every connection is, on average, over the threshold.</summary>
    public static bool ShouldGrow(IReadOnlyCollection<int> openStreams, int maxPoolSize, int threshold) =>
        openStreams.Count < maxPoolSize && openStreams.Sum() > threshold * openStreams.Count;

    /// <summary>An extra connection is closed once it has carried no streams for the idle timeout.</summary>
    public static bool ShouldClose(DateTimeOffset? idleSince, DateTimeOffset now, TimeSpan idleTimeout) =>
        idleSince is { } since && now - since >= idleTimeout;
}
