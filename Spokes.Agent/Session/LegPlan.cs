using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>Where the session's connections go, as pure functions (testable without connections).</summary>
internal static class LegPlan
{
    /// <summary>How many distinct nodes to hold: what the node asks (1 for a node that does not say), at most the
    /// pool size and the nodes that are not draining (at least 1).</summary>
    public static int Target(int? legs, int maxPoolSize, IReadOnlyCollection<NodeEndpoint> nodes)
    {
        int usable = nodes.Count(n => !n.Draining);
        return Math.Max(1, Math.Min(Math.Min(legs ?? 1, maxPoolSize), Math.Max(1, usable)));
    }

    /// <summary>The next node to dial: not held, not draining, not failed recently; the least recently failed
    /// first among equals, in the order the node listed them. Null when there is none.</summary>
    public static NodeEndpoint? Next(IReadOnlyList<NodeEndpoint> nodes, IReadOnlyCollection<string> held,
        IReadOnlyDictionary<string, DateTimeOffset> retryAt, DateTimeOffset now) =>
        nodes.Where(n => !n.Draining && !held.Contains(n.Node) && n.Endpoint.Length > 0
                         && (!retryAt.TryGetValue(n.Node, out var at) || at <= now))
            .FirstOrDefault();

    /// <summary>Where to open a new session after the last one ended: the known nodes that did not just fail
    /// (not draining), then the configured endpoint (null).</summary>
    public static IReadOnlyList<string?> Reconnect(IReadOnlyList<NodeEndpoint> known, IReadOnlyCollection<string> failed) =>
        [.. known.Where(n => !n.Draining && !failed.Contains(n.Node) && n.Endpoint.Length > 0).Select(n => (string?)n.Endpoint), null];
}
