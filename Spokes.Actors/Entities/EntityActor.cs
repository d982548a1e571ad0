using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Spokes.Actors.Entities;

/// <summary>
/// The shape every Spokes entity shares: the state decides, the actor persists, tells the catalog, then
/// replies. While the catalog acknowledges, later commands are stashed, so replies keep their order and a
/// caller that got an answer reads its own write in every listing.
/// </summary>
public abstract class EntityActor<TState, TMessage> : ReceivePersistentActor, IWithStash
    where TState : class
    where TMessage : class, IEntityMessage
{
    private const int SnapshotEvery = 100;
    private static readonly TimeSpan CatalogTimeout = TimeSpan.FromSeconds(10);
    private static readonly ISet<string> Tags = new HashSet<string> { JournalTags.All };

    private readonly IActorRef _catalog;
    protected readonly TimeProvider Time;

    protected TState State { get; private set; }
    public override string PersistenceId { get; }

    protected EntityActor(string kind, string entityId, TState empty, IActorRef catalog, TimeProvider time)
    {
        PersistenceId = kind + "-" + entityId;
        State = empty;
        _catalog = catalog;
        Time = time;
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TState snapshot) State = snapshot;
        });
        Recover<IDomainEvent>(e => State = Apply(State, e));
        // Journals that keep the Tagged wrapper on replay (the in-memory one) hand it back as persisted.
        Recover<Tagged>(t =>
        {
            if (t.Payload is IDomainEvent e) State = Apply(State, e);
        });
        Ready();
    }

    protected void Ready()
    {
        Command<TMessage>(Handle);
        Command<SaveSnapshotSuccess>(s =>
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => Log.Warning(f.Cause, "snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => Log.Warning(f.Cause, "deleting old snapshots of {0} failed", PersistenceId));
    }

    protected abstract TState Apply(TState state, IDomainEvent e);
    protected abstract Decision Decide(TState state, TMessage message, DateTimeOffset now);
    protected abstract IWireMessage StateReply(TState state);
    protected abstract IWireMessage CatalogUpsert(TState state, long sequenceNr);

    /// <summary>Called once a decision's events are persisted and applied, before the reply.</summary>
    protected virtual void OnPersisted(TState state) { }

    protected virtual void Handle(TMessage message) => Execute(Decide(State, message, Time.GetUtcNow()), Sender);

    /// <summary>Persists the decision's events, then tells the catalog, then replies.</summary>
    protected void Execute(Decision decision, IActorRef replyTo)
    {
        if (decision.Events.Count == 0)
        {
            if (decision.Reply is Refusal refusal)
                Log.Info("{0} refused: {1}", PersistenceId, refusal.Message);
            replyTo.Tell(decision.Reply ?? StateReply(State));
            return;
        }
        var remaining = decision.Events.Count;
        PersistAll(decision.Events.Select(e => new Tagged(e, Tags)), tagged =>
        {
            State = Apply(State, (IDomainEvent)tagged.Payload);
            if (--remaining > 0) return;
            if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(State);
            OnPersisted(State);
            AfterPersist(decision.Reply ?? StateReply(State), replyTo);
        });
    }

    private void AfterPersist(IWireMessage reply, IActorRef replyTo)
    {
        if (_catalog.IsNobody())
        {
            replyTo.Tell(reply);
            return;
        }
        var sequenceNr = LastSequenceNr;
        _catalog.Ask<object>(CatalogUpsert(State, sequenceNr), CatalogTimeout)
            .ContinueWith(t => new CatalogNotified(reply, replyTo, t.IsCompletedSuccessfully),
                TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(Self);
        Become(() =>
        {
            Command<CatalogNotified>(n =>
            {
                if (!n.Acknowledged)
                    Log.Warning("catalog did not acknowledge {0}; it catches up from the journal", PersistenceId);
                n.ReplyTo.Tell(n.Reply);
                Become(Ready);
                Stash.UnstashAll();
            });
            CommandAny(_ => Stash.Stash());
        });
    }

    private sealed record CatalogNotified(IWireMessage Reply, IActorRef ReplyTo, bool Acknowledged);
}
