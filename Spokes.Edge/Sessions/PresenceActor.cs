using System.Collections.Frozen;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;
using Spokes.Edge.Routing;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Sessions;

/// <summary>
/// One per node. Writes this node's links, the routes its links decided and its own <see cref="NodeInfo"/> into
/// three replicated maps, and turns every change of the maps or of the cluster's reachability into a new
/// <see cref="RouteTable"/> (rebuilt at most every <see cref="RebuildDelay"/>). Writes are asks: the reply comes
/// once the local table includes the change, so a session that answers its agent has already routed its rules.
/// Entries of nodes that left the cluster, and of this node's previous incarnation, are removed. This node is the
/// single writer of its own links: one that a peer's replica removed (a late removal of this address's previous
/// incarnation, say) is written again as soon as the change arrives.
/// </summary>
public sealed class PresenceActor : ReceiveActor, IWithTimers
{
    public static readonly LWWDictionaryKey<string, LinkPresence> LinksKey = new("spokes-links");
    public static readonly LWWDictionaryKey<string, TunnelRoutes> RoutesKey = new("spokes-routes");
    public static readonly LWWDictionaryKey<string, NodeInfo> NodesKey = new("spokes-nodes");
    private static readonly TimeSpan RebuildDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);

    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly RouteTableSource _routes;
    private readonly string _self;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _waiting = [];
    private readonly Replica<LinkPresence> _links = new(LinksKey);
    private readonly Replica<TunnelRoutes> _tunnelRoutes = new(RoutesKey);
    private readonly Replica<NodeInfo> _nodes = new(NodesKey);
    /// <summary>The links this incarnation wrote and has not removed, by key.</summary>
    private readonly Dictionary<string, LinkPresence> _mine = [];
    private ImmutableArray<NodeEndpoint> _endpoints = [];
    private bool _scheduled;

    public ITimerScheduler Timers { get; set; } = null!;

    public PresenceActor(RouteTableSource routes)
    {
        _routes = routes;
        _self = NodeName(_cluster.SelfAddress);
        Receive<PutLink>(p =>
        {
            if (p.Link.Node == _self) _mine[p.Link.Key] = p.Link;
            Write(_links, d => d.SetItem(_cluster, p.Link.Key, p.Link), true);
        });
        Receive<RemoveLink>(r =>
        {
            var key = LinkPresence.KeyOf(r.TunnelId, _self);
            if (_mine.TryGetValue(key, out var own) && own.SessionId == r.SessionId) _mine.Remove(key);
            Write(_links, d => d.TryGetValue(key, out var current) && current.SessionId == r.SessionId ? d.Remove(_cluster, current.Key) : d, true);
        });
        Receive<PutRoutes>(p => Write(_tunnelRoutes, d => d.SetItem(_cluster, p.Routes.TunnelId, p.Routes), true));
        Receive<RemoveRoutes>(r => Write(_tunnelRoutes, d => d.ContainsKey(r.TunnelId) ? d.Remove(_cluster, r.TunnelId) : d, false));
        Receive<PutNode>(p => Write(_nodes, d => d.SetItem(_cluster, p.Info.Node, p.Info), p.Urgent));
        Receive<Changed>(c =>
        {
            if (c.Key.Equals(LinksKey))
            {
                _links.Value = c.Get(LinksKey);
                ReassertOwnLinks();
            }
            else if (c.Key.Equals(RoutesKey)) _tunnelRoutes.Value = c.Get(RoutesKey);
            else if (c.Key.Equals(NodesKey)) _nodes.Value = c.Get(NodesKey);
            ScheduleRebuild();
        });
        Receive<Rebuild>(_ => RebuildNow());
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            // When a newer incarnation on the same address already wrote links, it writes them again (ReassertOwnLinks).
            RemoveNode(NodeName(m.Member.Address));
            ScheduleRebuild();
        });
        Receive<AutoHostnamesToggled>(_ => ScheduleRebuild());
        Receive<ClusterEvent.IMemberEvent>(_ => ScheduleRebuild());
        Receive<ClusterEvent.IReachabilityEvent>(_ => ScheduleRebuild());
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Debug("presence write not confirmed by every node: {0}", f));
        Receive<GetSuccess>(g => g.Key.Equals(LinksKey), g =>
        {
            // Links left by this node's previous incarnation (a crash) are stale: its agents' connections are gone.
            foreach (var stale in g.Get(LinksKey).Entries.Values.Where(l => l.Node == _self && !_mine.ContainsKey(l.Key)))
                Self.Tell(new RemoveLink(stale.TunnelId, stale.SessionId));
        });
        Receive<GetSuccess>(_ => { });
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => { });
    }

    public static Props Props(RouteTableSource routes) => Akka.Actor.Props.Create(() => new PresenceActor(routes));

    public static string NodeName(Address address) => $"{address.Host}:{address.Port}";

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(LinksKey, Self));
        _replicator.Tell(Dsl.Subscribe(RoutesKey, Self));
        _replicator.Tell(Dsl.Subscribe(NodesKey, Self));
        _replicator.Tell(Dsl.Get(LinksKey, ReadLocal.Instance));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        if (_routes.AutoHostnames is { } names)
        {
            var self = Self;
            _toggled = () => self.Tell(AutoHostnamesToggled.Instance);
            names.Changed += _toggled;
        }
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        if (_toggled is not null && _routes.AutoHostnames is { } names) names.Changed -= _toggled;
    }

    private Action? _toggled;

    /// <summary>tunOptions.autoHostnames was turned on or off: the table gains or loses the names.</summary>
    private sealed class AutoHostnamesToggled
    {
        public static readonly AutoHostnamesToggled Instance = new();
    }

    /// <summary>Writes again this incarnation's links that the replicated map no longer holds as written.</summary>
    private void ReassertOwnLinks()
    {
        var lost = _mine.Values.Where(l => !_links.Value.TryGetValue(l.Key, out var current) || current.SessionId != l.SessionId).ToList();
        if (lost.Count == 0) return;
        // Debug, not Info: a change that crossed a fresh write of this node also lands here (the write is idempotent).
        _log.Debug("presence: writing again {0} link(s) of this node that the replicated map does not hold", lost.Count);
        Write(_links, d => lost.Aggregate(d, (acc, l) => acc.SetItem(_cluster, l.Key, l)), false, answer: false);
    }

    private void RemoveNode(string node)
    {
        if (node == _self) return;
        Write(_links, d => d.Entries.Values.Where(l => l.Node == node).Aggregate(d, (acc, l) => acc.Remove(_cluster, l.Key)), false);
        Write(_nodes, d => d.ContainsKey(node) ? d.Remove(_cluster, node) : d, false);
    }

    /// <summary>Applies the change locally at once (the table follows within <see cref="RebuildDelay"/>; an
    /// asking sender hears back after that) and replicates it, to every node at once when <paramref name="all"/>.</summary>
    private void Write<T>(Replica<T> map, Func<LWWDictionary<string, T>, LWWDictionary<string, T>> modify, bool all, bool answer = true)
    {
        IWriteConsistency consistency = all ? new WriteAll(WriteTimeout) : WriteLocal.Instance;
        _replicator.Tell(Dsl.Update(map.Key, LWWDictionary<string, T>.Empty, consistency, modify));
        map.Value = modify(map.Value);
        if (answer && !Sender.IsNobody() && !Sender.Equals(Self)) _waiting.Add(Sender);
        ScheduleRebuild();
    }

    private void ScheduleRebuild()
    {
        if (_scheduled) return;
        _scheduled = true;
        Timers.StartSingleTimer(Rebuild.Instance, Rebuild.Instance, RebuildDelay);
    }

    private void RebuildNow()
    {
        _scheduled = false;
        var state = _cluster.State;
        var live = state.Members
            .Where(m => m.Status is (MemberStatus.Up or MemberStatus.Leaving or MemberStatus.WeaklyUp) && !state.Unreachable.Contains(m))
            .Select(m => NodeName(m.Address)).ToHashSet();
        live.Add(_self);
        var nodes = _nodes.Value.Entries.Values.Where(n => live.Contains(n.Node)).ToFrozenDictionary(n => n.Node);
        var names = _routes.AutoHostnames;
        _routes.Swap(new RouteTable(_tunnelRoutes.Value.Entries.Values, _links.Value.Entries.Values, nodes, _nodes.Value.Entries,
            names is { Enabled: true } ? names.NameFor : null));
        foreach (var waiter in _waiting) waiter.Tell(PresenceAck.Instance);
        _waiting.Clear();
        var endpoints = nodes.Values.OrderBy(n => n.Node, StringComparer.Ordinal)
            .Select(n => new NodeEndpoint(n.Node, n.Advertise, n.Draining)).ToImmutableArray();
        if (!endpoints.SequenceEqual(_endpoints))
        {
            _endpoints = endpoints;
            Context.System.EventStream.Publish(new NodesChanged(endpoints));
        }
    }

    private sealed class Rebuild
    {
        public static readonly Rebuild Instance = new();
    }

    /// <summary>This node's view of one replicated map, updated by its own writes at once and by the replicator.</summary>
    private sealed class Replica<T>(LWWDictionaryKey<string, T> key)
    {
        public LWWDictionaryKey<string, T> Key { get; } = key;
        public LWWDictionary<string, T> Value { get; set; } = LWWDictionary<string, T>.Empty;
    }
}

/// <summary>Local messages to the presence actor (never cross the wire). Writes are answered with
/// <see cref="PresenceAck"/> once the local route table includes them.</summary>
public sealed record PutLink(LinkPresence Link);
public sealed record RemoveLink(string TunnelId, string SessionId);
public sealed record PutRoutes(TunnelRoutes Routes);
public sealed record RemoveRoutes(string TunnelId);
public sealed record PutNode(NodeInfo Info, bool Urgent);
public sealed record PresenceAck
{
    public static readonly PresenceAck Instance = new();
}

/// <summary>Published on the node's event stream when the nodes agents may dial (or their draining) changed.</summary>
public sealed record NodesChanged(ImmutableArray<NodeEndpoint> Nodes);
