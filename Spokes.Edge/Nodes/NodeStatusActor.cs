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

    private readonly IActorRef _presence;
    private readonly EdgeIdentity _identity;
    private readonly LocalLinks _links;
    private readonly TrafficMeter _meter;
    private readonly NodeReadiness _readiness;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;
    private (long Connections, long Bytes, long Ticks) _last;
    private bool _lastReady;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeStatusActor(IActorRef presence, EdgeIdentity identity, LocalLinks links, TrafficMeter meter, NodeReadiness readiness,
        TimeProvider time)
    {
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
        TimeProvider time) =>
        Akka.Actor.Props.Create(() => new NodeStatusActor(presence, identity, links, meter, readiness, time));

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
        _presence.Tell(new PutNode(new NodeInfo(_identity.NodeName, _identity.Advertise, _identity.RelayEndpoint, _readiness.Draining,
            _started, load, _time.GetUtcNow()) { Ready = _readiness.IsReady, NotReadyReason = _readiness.Reason }, urgent || _lastReady != _readiness.IsReady));
        _lastReady = _readiness.IsReady;
    }

    private sealed record Tick(bool Urgent);
}
