using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Spokes.Actors.Gateway;
using Spokes.Edge.Routing;

namespace Spokes.Edge.Sessions;

/// <summary>
/// One per node. Writes this node's sessions into the replicated presence map and turns every change of the
/// map into a new <see cref="RouteTable"/>. Entries of nodes that left the cluster (or of this node's previous
/// incarnation) are removed, so a crashed node's tunnels read offline.
/// </summary>
public sealed class PresenceActor : ReceiveActor
{
    public static readonly LWWDictionaryKey<string, SessionPresence> Key = new("spokes-presence");

    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly RouteTableSource _routes;
    private readonly string _self;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private LWWDictionary<string, SessionPresence> _seen = LWWDictionary<string, SessionPresence>.Empty;

    public PresenceActor(RouteTableSource routes)
    {
        _routes = routes;
        _self = NodeName(_cluster.SelfAddress);
        Receive<PutPresence>(p => Update(d => d.SetItem(_cluster, p.Presence.TunnelId, p.Presence)));
        Receive<RemovePresence>(r => Update(d =>
            d.TryGetValue(r.TunnelId, out var current) && current.SessionId == r.SessionId ? d.Remove(_cluster, r.TunnelId) : d));
        Receive<Changed>(c => c.Key.Equals(Key), c =>
        {
            _seen = c.Get(Key);
            _routes.Swap(new RouteTable(_seen.Entries.Values));
        });
        Receive<ClusterEvent.MemberRemoved>(m => RemoveNode(NodeName(m.Member.Address)));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("presence update failed: {0}", f));
        Receive<GetSuccess>(g => g.Key.Equals(Key), g =>
        {
            // Entries left by this node's previous incarnation (a crash) are stale: its sessions are gone.
            foreach (var stale in g.Get(Key).Entries.Values.Where(p => p.Node == _self))
                Self.Tell(new RemovePresence(stale.TunnelId, stale.SessionId));
        });
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => { });
    }

    public static Props Props(RouteTableSource routes) => Akka.Actor.Props.Create(() => new PresenceActor(routes));

    public static string NodeName(Address address) => $"{address.Host}:{address.Port}";

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(Key, Self));
        _replicator.Tell(Dsl.Get(Key, ReadLocal.Instance));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void RemoveNode(string node) =>
        Update(d => d.Entries.Values.Where(p => p.Node == node).Aggregate(d, (acc, p) => acc.Remove(_cluster, p.TunnelId)));

    /// <summary>Writes the change and applies it to the local route table at once, so this node routes a
    /// new rule before the replicator's next change notification.</summary>
    private void Update(Func<LWWDictionary<string, SessionPresence>, LWWDictionary<string, SessionPresence>> modify)
    {
        _replicator.Tell(Dsl.Update(Key, LWWDictionary<string, SessionPresence>.Empty, WriteLocal.Instance, modify));
        _seen = modify(_seen);
        _routes.Swap(new RouteTable(_seen.Entries.Values));
    }
}

/// <summary>Local messages to the presence actor (never cross the wire).</summary>
public sealed record PutPresence(SessionPresence Presence);
public sealed record RemovePresence(string TunnelId, string SessionId);
