using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Catalog;

/// <summary>
/// Cluster singleton serving every listing. Lifecycle: CatchingUp (replays the journal's "spokes" tag;
/// queries are stashed) → Serving (follows the tag live and takes direct upserts from entities).
/// </summary>
public sealed class CatalogActor : ReceiveActor, IWithStash
{
    private readonly CatalogState _state = new();
    private readonly Random _random = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string? _readJournalId;
    private readonly IMaterializer _materializer = Context.Materializer();
    private Offset _offset = Offset.NoOffset();

    public IStash Stash { get; set; } = null!;

    private readonly Store.JournalReader? _reader;

    public CatalogActor(string? readJournalId, Store.JournalReader? reader = null)
    {
        _readJournalId = readJournalId;
        _reader = reader;
        if (readJournalId is null) Serving();
        else CatchingUp();
    }

    /// <param name="readJournalId">The persistence query plugin to follow, or null for a catalog fed by
    /// upserts only (actor tests on the in-memory journal).</param>
    /// <param name="reader">Reads the journal's past for the catch-up (docs/architecture.md, "Catalog catch-up"); without
    /// it the query plugin's current-events query does.</param>
    public static Props Props(string? readJournalId, Store.JournalReader? reader = null) =>
        Akka.Actor.Props.Create(() => new CatalogActor(readJournalId, reader));

    /// <summary>The catalog under a backoff supervisor: when the store is slow or away (a fresh PostgreSQL creating
    /// its tables, a store restarting) and the journal stream fails, the catalog fails and starts over after
    /// 1 s, 2 s, … 15 s — never in a tight loop, never staying dead. Messages go through the supervisor to the
    /// current catalog.</summary>
    public static Props Supervised(string readJournalId, Store.JournalReader? reader = null) => BackoffSupervisor.Props(
        Backoff.OnFailure(Props(readJournalId, reader), "catalog", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), 0.2, -1)
            .WithAutoReset(TimeSpan.FromSeconds(30)));

    protected override void PreStart()
    {
        if (_readJournalId is null) return;
        // The query plugin waits for the write journal, which creates its tables on a fresh store: read after it.
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<ICurrentEventsByTagQuery>(_readJournalId);
        if (_reader is not null)
        {
            ReadPage(0);
            return;
        }
        var self = Self;
        journal.CurrentEventsByTag(JournalTags.All, Offset.NoOffset())
            .RunForeach(e => self.Tell(e), _materializer)
            .PipeTo(self, success: () => CaughtUp.Instance, failure: ex => new Status.Failure(ex));
    }

    /// <summary>Asks the reader for the page after <paramref name="ordering"/>; its rows come back as <see cref="JournalPage"/>.</summary>
    private void ReadPage(long ordering) =>
        _reader!.PageAsync(JournalTags.All, ordering).PipeTo(Self, success: rows => new JournalPage(rows), failure: ex => new Status.Failure(ex));

    private void CatchingUp()
    {
        Receive<EventEnvelope>(Apply);
        Receive<JournalPage>(page =>
        {
            foreach (var row in page.Rows)
            {
                if (Context.System.Serialization.Deserialize(row.Message, row.Identifier, row.Manifest) is IDomainEvent e)
                    _state.ApplyEvent(row.PersistenceId, row.SequenceNr, e);
                _offset = Offset.Sequence(row.Ordering);
            }
            if (page.Rows.Count == Store.JournalReader.PageSize) ReadPage(((Sequence)_offset).Value);
            else Self.Tell(CaughtUp.Instance);
        });
        Receive<ICatalogUpsert>(u => { _state.Upsert(u); Sender.Tell(CatalogAck.Instance); });
        Receive<CaughtUp>(_ =>
        {
            _log.Info("catalog caught up with the journal");
            AdoptClaims();
            FollowLive();
            Become(Serving);
            Stash.UnstashAll();
        });
        Receive<Status.Failure>(f => throw new InvalidOperationException("catalog could not read the journal", f.Cause));
        ReceiveAny(_ => Stash.Stash());
    }

    private void FollowLive()
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<IEventsByTagQuery>(_readJournalId!);
        var self = Self;
        journal.EventsByTag(JournalTags.All, _offset)
            .RunForeach(e => self.Tell(e), _materializer)
            .PipeTo(self, success: () => new Status.Failure(new InvalidOperationException("live journal stream ended")),
                failure: ex => new Status.Failure(ex));
    }

    private void Serving()
    {
        Receive<EventEnvelope>(Apply);
        Receive<ICatalogUpsert>(u => { _state.Upsert(u); Sender.Tell(CatalogAck.Instance); });
        Receive<ListUsers>(l => Sender.Tell(new UserList(Page(_state.Users, l.Offset, l.Limit))));
        Receive<ListRegistrations>(l => Sender.Tell(new RegistrationList(Page(_state.Registrations, l.Offset, l.Limit))));
        Receive<ListAuthTokens>(l => Sender.Tell(new AuthTokenList(Page(_state.Tokens, l.Offset, l.Limit))));
        Receive<ListTunnels>(l => Sender.Tell(new TunnelList(Page(_state.Tunnels, l.Offset, l.Limit))));
        Receive<ListPortLeases>(l => Sender.Tell(new PortLeaseList(Page(_state.Leases, l.Offset, l.Limit))));
        Receive<ListDomains>(l => Sender.Tell(new DomainList(Page(_state.Domains, l.Offset, l.Limit))));
        Receive<ListApiKeys>(l => Sender.Tell(new ApiKeyList(Page(_state.ApiKeys, l.Offset, l.Limit))));
        Receive<FindCappedUsers>(f => Sender.Tell(new CappedUsers(_state.CappedUsers(f.Now))));
        Receive<FindFreePorts>(f => Sender.Tell(new FreePorts(_state.FreePorts(f.Begin, f.End, f.Count, _random))));
        // A failed live stream restarts the singleton, which replays the journal from the start.
        Receive<Status.Failure>(f => throw new InvalidOperationException("catalog journal stream failed", f.Cause));
    }

    private static ImmutableList<T> Page<T>(ImmutableList<T> all, int offset, int limit)
    {
        offset = Math.Clamp(offset, 0, all.Count);
        return limit <= 0 ? (offset == 0 ? all : all.GetRange(offset, all.Count - offset)) : all.GetRange(offset, Math.Min(limit, all.Count - offset));
    }

    /// <summary>Domains that tunnels cached before domains had an entity of their own are claimed for those tunnels
    /// now, through the Domain entity (the single writer decides: a claim made meanwhile by another tunnel wins).</summary>
    private void AdoptClaims()
    {
        var claims = _state.UnadoptedClaims().ToList();
        if (claims.Count == 0 || _readJournalId is null) return;
        var domains = Akka.Cluster.Sharding.ClusterSharding.Get(Context.System).ShardRegion(Domains.DomainEntity.Kind);
        foreach (var (domain, tunnelId) in claims)
            domains.Tell(new Domains.ClaimDomain(Domains.DomainIds.For(domain), tunnelId, "adoption"), ActorRefs.NoSender);
        _log.Info("claiming {0} cached domain(s) through their Domain entities", claims.Count);
    }

    private void Apply(EventEnvelope envelope)
    {
        if (envelope.Event is IDomainEvent e)
            _state.ApplyEvent(envelope.PersistenceId, envelope.SequenceNr, e);
        _offset = envelope.Offset;
    }

    private sealed record JournalPage(IReadOnlyList<Store.JournalEventRow> Rows);

    private sealed class CaughtUp
    {
        public static readonly CaughtUp Instance = new();
    }
}
