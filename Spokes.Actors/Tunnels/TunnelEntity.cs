using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;

namespace Spokes.Actors.Tunnels;

/// <summary>
/// A tunnel's durable state. Allocation is a short saga owned by the tunnel, one at a time:
/// Ready → Allocating (ask the catalog for free ports, lease one from its PortLease entity) → persist → Ready.
/// Serializing it here keeps <c>maxPorts</c> exact; the PortLease entity keeps a port from being leased twice.
/// </summary>
public sealed class TunnelEntity : EntityActor<TunnelState, ITunnelMessage>
{
    public const string Kind = "tunnel";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);
    private const int Candidates = 16;

    private readonly IActorRef _catalog;
    private readonly IActorRef _ports;

    public TunnelEntity(string entityId, IActorRef catalog, IActorRef ports, TimeProvider time)
        : base(Kind, entityId, TunnelState.Empty, catalog, time)
    {
        _catalog = catalog;
        _ports = ports;
    }

    public static Props Props(string entityId, IActorRef catalog, IActorRef ports, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new TunnelEntity(entityId, catalog, ports, time));

    protected override TunnelState Apply(TunnelState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(TunnelState state, ITunnelMessage message, DateTimeOffset now) => state.Decide(message, now);
    protected override IWireMessage StateReply(TunnelState state) => new TunnelReply(state);
    protected override IWireMessage CatalogUpsert(TunnelState state, long sequenceNr) =>
        new TunnelUpserted(PersistenceId, sequenceNr, state);

    protected override void Handle(ITunnelMessage message)
    {
        if (message is not AllocatePort allocate)
        {
            base.Handle(message);
            return;
        }
        var precheck = State.Decide(allocate, Time.GetUtcNow());
        if (precheck.Reply is Refusal)
        {
            Execute(precheck, Sender);
            return;
        }
        var replyTo = Sender;
        AcquireAsync(State.Id, allocate, _catalog, _ports)
            .PipeTo(Self, success: r => new Acquired(r, allocate, replyTo),
                failure: ex => new Acquired(new Refusal(ErrorCode.Unavailable, "port allocation failed: " + ex.Message), allocate, replyTo));
        Become(Allocating);
    }

    private void Allocating()
    {
        Command<Acquired>(a =>
        {
            Become(Ready);
            Stash.UnstashAll();
            if (a.Result is PortAllocated allocated)
            {
                var e = TunnelState.PortAdded(State.Id, allocated.Port, Time.GetUtcNow(), a.Request.By);
                Execute(new Decision([e], allocated), a.ReplyTo);
            }
            else
            {
                Execute(Decision.Answer(a.Result), a.ReplyTo);
            }
        });
        CommandAny(_ => Stash.Stash());
    }

    private static async Task<IWireMessage> AcquireAsync(string tunnelId, AllocatePort request, IActorRef catalog, IActorRef ports)
    {
        for (var round = 0; round < 3; round++)
        {
            var free = await catalog.Ask<FreePorts>(new FindFreePorts(request.RangeBegin, request.RangeEnd, Candidates), StepTimeout);
            if (free.Ports.Count == 0) break;
            foreach (var port in free.Ports)
            {
                var reply = await ports.Ask<IWireMessage>(new LeasePort(PortIds.For(port), tunnelId, request.By), StepTimeout);
                if (reply is PortLeaseReply lease && lease.Lease.TunnelId == tunnelId)
                    return new PortAllocated(port);
            }
        }
        return new Refusal(ErrorCode.Exhausted, $"no free port left in range {request.RangeBegin}-{request.RangeEnd}");
    }

    private sealed record Acquired(IWireMessage Result, AllocatePort Request, IActorRef ReplyTo);
}
