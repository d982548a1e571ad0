using Akka.Actor;
using Spokes.Actors.Nodes;
using Spokes.Edge.Relay;
using Spokes.Edge.Sessions;
using Spokes.Edge.Traffic;

namespace Spokes.Edge.Nodes;

/// <summary>
/// One per node: publishes this node's <see cref="NodeInfo"/> (advertised endpoint, relay endpoint, draining,
/// load) into the replicated nodes map, at start, every <see cref="Interval"/>, and at once when draining starts.
/// </summary>
public sealed class NodeStatusActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    /// <summary>A peer's report older than this (five of its intervals) says nothing about the store now.</summary>
    public static readonly TimeSpan PeerInfoFresh = TimeSpan.FromSeconds(10);
    /// <summary>How long after this node lost the store a peer's "reachable" is believed (its probe's timeout and interval, twice).</summary>
    public static readonly TimeSpan PeerNoticeTime = TimeSpan.FromSeconds(6);

    private readonly IActorRef _presence;
    private readonly EdgeIdentity _identity;
    private readonly LocalLinks _links;
    private readonly TrafficMeter _meter;
    private readonly NodeReadiness _readiness;
    private readonly TimeProvider _time;
    private readonly INodeDirectory _nodes;
    private readonly DateTimeOffset _started;
    private (long Connections, long Bytes, long Ticks) _last;
    private bool _lastReady;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeStatusActor(IActorRef presence, EdgeIdentity identity, LocalLinks links, TrafficMeter meter, NodeReadiness readiness,
        TimeProvider time, INodeDirectory nodes)
    {
        _nodes = nodes;
        _presence = presence;
        _identity = identity;
        _links = links;
        _meter = meter;
        _readiness = readiness;
        _time = time;
        _started = time.GetUtcNow();
        _last = (meter.Connections, meter.Bytes, time.GetTimestamp());
        Receive<Tick>(t => Publish(t.Urgent));
    }

    public static Props Props(IActorRef presence, EdgeIdentity identity, LocalLinks links, TrafficMeter meter, NodeReadiness readiness,
        TimeProvider time, INodeDirectory nodes) =>
        Akka.Actor.Props.Create(() => new NodeStatusActor(presence, identity, links, meter, readiness, time, nodes));

    protected override void PreStart()
    {
        var self = Self;
        _readiness.DrainingStarted += () => self.Tell(new Tick(true));
        Publish(urgent: true);
        Timers.StartPeriodicTimer("tick", new Tick(false), Interval);
    }

    private void Publish(bool urgent)
    {
        var now = (_meter.Connections, _meter.Bytes, Ticks: _time.GetTimestamp());
        var seconds = Math.Max(0.001, _time.GetElapsedTime(_last.Ticks, now.Ticks).TotalSeconds);
        var load = new NodeLoad(_links.AgentConnections, _links.Count, (now.Connections - _last.Connections) / seconds,
            (now.Bytes - _last.Bytes) / seconds);
        _last = now;
        var utcNow = _time.GetUtcNow();
        // Only a peer's report made well after this node lost the store counts (the peer needs a probe or two to notice
        // the same outage): until then every node stays ready, rather than all leaving the balancer at once.
        var lostAt = _readiness.StoreLostAt;
        _readiness.SetPeerReachesStore(!_readiness.StoreReachable && _nodes.Nodes.Values.Any(n =>
            n.Node != _identity.NodeName && n is { Ready: true, NotReadyReason.Length: 0 } && n.Updated - lostAt > PeerNoticeTime && utcNow - n.Updated < PeerInfoFresh));
        _presence.Tell(new PutNode(new NodeInfo(_identity.NodeName, _identity.Advertise, _identity.RelayEndpoint, _readiness.Draining,
            _started, load, utcNow) { Ready = _readiness.IsReady, NotReadyReason = _readiness.IsReady ? _readiness.Degraded : _readiness.Reason },
            urgent || _lastReady != _readiness.IsReady));
        _lastReady = _readiness.IsReady;
    }

    private sealed record Tick(bool Urgent);
}
