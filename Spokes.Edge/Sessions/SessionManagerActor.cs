using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Sessions;

/// <summary>
/// One per node: parent of this node's tunnel sessions. A tunnel has one session: a new one replaces an older
/// one here, and is announced so that another node holding an older one closes it. It also ends sessions
/// when a tunnel is shut down anywhere in the cluster.
/// </summary>
public sealed class SessionManagerActor : ReceiveActor
{
    private readonly SessionContext _ctx;
    private readonly Dictionary<string, (IActorRef Actor, string SessionId)> _byTunnel = new();
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;

    public SessionManagerActor(SessionContext ctx)
    {
        _ctx = ctx;
        Receive<StartSession>(s =>
        {
            var link = s.Link;
            if (_byTunnel.TryGetValue(link.TunnelId, out var old)) old.Actor.Tell(new EndSession(null));
            var actor = Context.ActorOf(TunnelSessionActor.Props(link, _ctx), "session-" + link.SessionId);
            Context.Watch(actor);
            _byTunnel[link.TunnelId] = (actor, link.SessionId);
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
            else Sender.Tell(new Spokes.Actors.Entities.Refusal(Spokes.Actors.Entities.ErrorCode.Failed,
                "the tunnel is not connected to this node any more"));
        });
        Receive<TunnelShutdownRequested>(r =>
        {
            if (_byTunnel.TryGetValue(r.TunnelId, out var mine)) mine.Actor.Tell(new EndSession(r.Reason));
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
    }
}
