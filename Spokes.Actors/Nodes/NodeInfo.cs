namespace Spokes.Actors.Nodes;

/// <summary>
/// A node as the cluster sees it (replicated, written only by that node): where agents dial it
/// (<see cref="Advertise"/>, <c>cluster.advertise</c>), where peers relay through it, whether it is draining,
/// and its load, refreshed every few seconds.
/// </summary>
public sealed record NodeInfo(string Node, string Advertise, string Relay, bool Draining, DateTimeOffset Started, NodeLoad Load,
    DateTimeOffset Updated) : Entities.IWireMessage
{
    /// <summary>Whether the node reported itself ready (as its /readyz would), and why not.</summary>
    public bool Ready { get; init; }
    /// <summary>Why not ready; while ready, what is degraded (the store answering no node), else empty.</summary>
    public string NotReadyReason { get; init; } = "";
}

/// <summary>Every node's last <see cref="NodeInfo"/>, read locally (the replicated nodes map).</summary>
public interface INodeDirectory
{
    IReadOnlyDictionary<string, NodeInfo> Nodes { get; }
}

/// <summary>A process without a data plane knows no node's info.</summary>
public sealed class NoNodeDirectory : INodeDirectory
{
    public IReadOnlyDictionary<string, NodeInfo> Nodes { get; } = new Dictionary<string, NodeInfo>();
}

/// <summary>A node's load: agent connections it holds, tunnels with a link there, visitor connections and bytes
/// relayed per second (averaged over the last refresh interval).</summary>
public sealed record NodeLoad(int AgentConnections, int Tunnels, double VisitorsPerSecond, double BytesPerSecond)
{
    public static readonly NodeLoad None = new(0, 0, 0, 0);
}
