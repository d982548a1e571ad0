using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;

namespace Spokes.Actors.Store;

/// <summary>
/// Cluster singleton: holds the cluster's claim on the store, a lease row renewed every <see cref="Renew"/>
/// (valid for <see cref="Ttl"/>) under the cluster's incarnation id (replicated, so it survives the singleton
/// moving). A node that forms a new cluster on a store another live cluster uses — an island: a node started
/// without seeds, or cut off from the others when it started — finds the row held and renewed by that other
/// cluster, and after <see cref="IslandAfter"/> of that the whole island stops with one line (two clusters on one
/// journal would mean two writers per entity). A holder that is gone (its row expires) or that was a previous
/// incarnation at a member's own address (a node restarted after a crash) is taken over.
/// Every node learns the outcome through <see cref="StatusKey"/> (<see cref="ClusterLeaseWatcher"/>).
/// </summary>
public sealed class ClusterLeaseKeeper : ReceiveActor, IWithTimers
{
    public const string LeaseName = "spokes-cluster";
    public static readonly TimeSpan Renew = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan IslandAfter = TimeSpan.FromSeconds(4);
    public static readonly LWWRegisterKey<string> IncarnationKey = new("spokes-incarnation");
    public static readonly LWWRegisterKey<string> StatusKey = new("spokes-cluster-lease");

    private readonly StoreLeases _store;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string _incarnation = "";
    private string _published = "";
    private (long RenewedMs, DateTimeOffset Since)? _refused;

    public ITimerScheduler Timers { get; set; } = null!;

    public ClusterLeaseKeeper(StoreLeases store)
    {
        _store = store;
        Receive<GetSuccess>(g => Start(g.Get(IncarnationKey).Value));
        Receive<NotFound>(_ => Start(Guid.NewGuid().ToString("N"), created: true));
        Receive<GetFailure>(_ => Start(Guid.NewGuid().ToString("N"), created: true));
        Receive<Tick>(_ => CheckAsync().PipeTo(Self));
        Receive<Outcome>(Apply);
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Debug("cluster lease status not written to every node: {0}", f));
    }

    public static Props Props(StoreLeases store) => Akka.Actor.Props.Create(() => new ClusterLeaseKeeper(store));

    protected override void PreStart() => _replicator.Tell(Dsl.Get(IncarnationKey, new ReadMajority(TimeSpan.FromSeconds(3))));

    private void Start(string incarnation, bool created = false)
    {
        _incarnation = incarnation;
        if (created)
            _replicator.Tell(Dsl.Update(IncarnationKey, new LWWRegister<string>(_cluster.SelfUniqueAddress, incarnation),
                new WriteMajority(TimeSpan.FromSeconds(3)), r => r.WithValue(_cluster.SelfUniqueAddress, incarnation)));
        Self.Tell(Tick.Instance);
        Timers.StartPeriodicTimer("renew", Tick.Instance, Renew);
    }

    private async Task<Outcome> CheckAsync()
    {
        var self = $"{_cluster.SelfAddress.Host}:{_cluster.SelfAddress.Port}";
        try
        {
            if (await _store.TryAcquireAsync(LeaseName, _incarnation, self, Ttl)) return Outcome.Taken;
            var row = await _store.ReadAsync(LeaseName);
            if (row is null) return new Outcome(false, null, Error: "the lease row vanished");
            var members = _cluster.State.Members.Select(m => $"{m.Address.Host}:{m.Address.Port}").ToHashSet();
            if (members.Contains(row.Holder))
            {
                // The row is a previous incarnation's at a member's own address: that process is gone.
                await _store.TakeOverAsync(LeaseName, _incarnation, self, Ttl);
                return Outcome.Taken with { TookOver = row.Holder };
            }
            return new Outcome(false, row);
        }
        catch (Exception ex)
        {
            return new Outcome(false, null, Error: ex.Message);
        }
    }

    private void Apply(Outcome outcome)
    {
        if (outcome.Held)
        {
            if (outcome.TookOver is { } previous) _log.Info("took over the store's lease from a previous incarnation at {0}", previous);
            _refused = null;
            Publish("held|" + _incarnation);
            return;
        }
        if (outcome.Error is { } error)
        {
            _log.Warning("cannot renew the store's lease: {0}", error);
            return;
        }
        var row = outcome.Row!;
        var now = DateTimeOffset.UtcNow;
        if (_refused is null)
        {
            _refused = (row.RenewedMs, now);
            _log.Warning("the store's lease is held by node {0} of another cluster; waiting to see whether it is alive", row.Holder);
            return;
        }
        if (row.RenewedMs != _refused.Value.RenewedMs && now - _refused.Value.Since >= IslandAfter)
            Publish($"refused|another running cluster (node {row.Holder}) uses this store; this node cannot reach it. " +
                    "Name that cluster's nodes in cluster.seeds and start again");
    }

    private void Publish(string status)
    {
        if (status == _published) return;
        _published = status;
        _replicator.Tell(Dsl.Update(StatusKey, new LWWRegister<string>(_cluster.SelfUniqueAddress, status),
            new WriteAll(TimeSpan.FromSeconds(3)), r => r.WithValue(_cluster.SelfUniqueAddress, status)));
    }

    private sealed record Outcome(bool Held, LeaseRow? Row, string? Error = null, string? TookOver = null)
    {
        public static readonly Outcome Taken = new(true, null);
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
