using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Sessions;

/// <summary>
/// One per node: parent of this node's links (one per tunnel). A tunnel has one session at a time: a new
/// session replaces an older one's link here, and is announced so that other nodes close their links of the
/// older one. It also ends links when a tunnel is shut down anywhere in the cluster, forwards node-list changes
/// and drain to its links, and hands administrators' rule changes to the tunnel's link.
/// </summary>
public sealed class SessionManagerActor : ReceiveActor
{
    private readonly SessionContext _ctx;
    private readonly Dictionary<string, (IActorRef Actor, string SessionId)> _byTunnel = new();
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private Action<Spokes.Actors.Configuration.TunOptionsConfig>? _optionsChanged;
    private Action<Spokes.Tunnel.Control.ServerName>? _serverNameChanged;

    public SessionManagerActor(SessionContext ctx)
    {
        _ctx = ctx;
        Receive<StartSession>(s =>
        {
            var link = s.Link;
            if (_byTunnel.TryGetValue(link.TunnelId, out var old)) old.Actor.Tell(new EndSession(null));
            var actor = Context.ActorOf(TunnelSessionActor.Props(link, _ctx, s.NewSession), "session-" + link.SessionId);
            Context.Watch(actor);
            _byTunnel[link.TunnelId] = (actor, link.SessionId);
            if (s.NewSession)
                _mediator.Tell(new Publish(SessionTopics.Started, new SessionOpened(link.TunnelId, link.SessionId, _ctx.NodeName)));
        });
        Receive<SessionOpened>(s =>
        {
            if (_byTunnel.TryGetValue(s.TunnelId, out var mine) && mine.SessionId != s.SessionId && s.Node != _ctx.NodeName)
                mine.Actor.Tell(new EndSession(null));
        });
        Receive<PushRule>(p =>
        {
            if (_byTunnel.TryGetValue(p.TunnelId, out var mine)) mine.Actor.Forward(p);
            else Sender.Tell(new Refusal(ErrorCode.Failed, "the tunnel is not connected to this node any more"));
        });
        Receive<TunnelShutdownRequested>(r =>
        {
            if (_byTunnel.TryGetValue(r.TunnelId, out var mine)) mine.Actor.Tell(new EndSession(r.Reason));
            _ctx.Presence.Tell(new RemoveRoutes(r.TunnelId));
        });
        Receive<NodesChanged>(n =>
        {
            foreach (var (actor, _) in _byTunnel.Values) actor.Tell(n);
        });
        Receive<DrainLinks>(d =>
        {
            foreach (var (actor, _) in _byTunnel.Values) actor.Tell(d);
        });
        Receive<MonitorChanged>(m =>
        {
            foreach (var (actor, _) in _byTunnel.Values) actor.Tell(m);
        });
        Receive<ServerNameChanged>(m =>
        {
            foreach (var (actor, _) in _byTunnel.Values) actor.Tell(m);
        });
        Receive<Terminated>(t =>
        {
            foreach (var entry in _byTunnel.Where(e => e.Value.Actor.Equals(t.ActorRef)).ToList())
                _byTunnel.Remove(entry.Key);
        });
        Receive<SubscribeAck>(_ => { });
    }

    public static Props Props(SessionContext ctx) => Akka.Actor.Props.Create(() => new SessionManagerActor(ctx));

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(SessionTopics.Started, Self));
        _mediator.Tell(new Subscribe(SessionTopics.Shutdown, Self));
        Context.System.EventStream.Subscribe(Self, typeof(NodesChanged));
        var self = Self;
        var monitor = _ctx.Operations.Options.Current.Monitor;
        _optionsChanged = options =>
        {
            // Only the monitor's part goes to agents; one message per change of it.
            if (Interlocked.Exchange(ref monitor, options.Monitor) != options.Monitor) self.Tell(new MonitorChanged(options.Monitor));
        };
        _ctx.Operations.Options.Changed += _optionsChanged;
        _serverNameChanged = name => self.Tell(new ServerNameChanged(name));
        if (_ctx.ServerNames is { } names) names.Changed += _serverNameChanged;
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        if (_optionsChanged is not null) _ctx.Operations.Options.Changed -= _optionsChanged;
        if (_ctx.ServerNames is { } names && _serverNameChanged is not null) names.Changed -= _serverNameChanged;
    }
}

/// <summary>This node serves another domain or certificate: every link tells its agent.</summary>
public sealed record ServerNameChanged(Spokes.Tunnel.Control.ServerName Name);

/// <summary>The cluster's upstream monitor settings changed: every link tells its agent.</summary>
public sealed record MonitorChanged(Spokes.Actors.Configuration.MonitorConfig Monitor);
