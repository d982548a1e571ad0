using Akka.Actor;
using Akka.Coordination;
using Akka.DependencyInjection;
using Akka.Event;

namespace Spokes.Actors.Store;

/// <summary>
/// An Akka.Coordination lease kept in the node's store (<see cref="StoreLeases"/>), for the split brain
/// resolver's lease-majority strategy: the side of a partition that takes it survives, the other downs itself.
/// Once taken it is renewed every heartbeat interval; a holder that dies loses it after the heartbeat timeout.
/// Created by Akka's lease provider, so it finds the store through the actor system's service provider.
/// The resolver releases the lease only while its node leads the cluster (10 s after the nodes it downed are
/// removed); a holder that stops leading first — the node it downed came back with a lower address and leads now —
/// would keep renewing it forever, so that the next loss, decided by the new leader, finds the lease taken and
/// downs the healthy side. So a holder that has not led for <see cref="NotLeadingRelease"/> releases it itself
/// (docs/architecture.md, "Failure detection and downing").
/// </summary>
public sealed class StoreLease : Lease
{
    /// <summary>Longer than a leader change takes to settle; the new leader's own decisions come after stable-after.</summary>
    public static readonly TimeSpan NotLeadingRelease = TimeSpan.FromSeconds(5);

    private readonly StoreLeases _store;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly ILoggingAdapter _log;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _heartbeat;
    private volatile bool _held;

    public StoreLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _store = DependencyResolver.For(system).Resolver.GetService<StoreLeases>();
        _log = Logging.GetLogger(system, typeof(StoreLease));
        _cluster = Akka.Cluster.Cluster.Get(system);
    }

    public override Task<bool> Acquire() => Acquire(_ => { });

    /// <summary>
    /// Takes the lease. When another owner holds it but has stopped renewing it (it hangs, or died holding it), waits
    /// until it expires and takes it then, rather than answering "taken": the resolver reverses its decision on that
    /// answer and downs its own, healthy side — a hung node that held the lease from an earlier decision would take
    /// the whole cluster down with it. An owner that renews it keeps it (the other side of a real partition).
    /// </summary>
    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        var timeouts = Settings.TimeoutSettings;
        var giveUp = DateTime.UtcNow + timeouts.HeartbeatTimeout + timeouts.HeartbeatInterval;
        while (true)
        {
            using var timeout = new CancellationTokenSource(timeouts.OperationTimeout);
            var held = await _store.TryAcquireAsync(Settings.LeaseName, Settings.OwnerName, Settings.OwnerName, timeouts.HeartbeatTimeout,
                timeout.Token);
            if (held)
            {
                _held = true;
                StartHeartbeat(leaseLostCallback);
                return true;
            }
            var row = await _store.ReadAsync(Settings.LeaseName, timeout.Token);
            if (row is null) continue; // released meanwhile
            var silent = TimeSpan.FromMilliseconds(row.NowMs - row.RenewedMs);
            if (silent < timeouts.HeartbeatInterval * 2 || DateTime.UtcNow > giveUp)
            {
                _held = false;
                return false;
            }
            _log.Info("lease {0}: held by {1}, not renewed for {2:0.0} s; waiting until it expires", Settings.LeaseName, row.Owner,
                silent.TotalSeconds);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(row.ExpiresMs - row.NowMs + 100, 100, 2_000)));
        }
    }

    public override async Task<bool> Release()
    {
        StopHeartbeat();
        _held = false;
        using var timeout = new CancellationTokenSource(Settings.TimeoutSettings.OperationTimeout);
        return await _store.ReleaseAsync(Settings.LeaseName, Settings.OwnerName, timeout.Token);
    }

    public override bool CheckLease() => _held;

    private void StartHeartbeat(Action<Exception> leaseLost)
    {
        CancellationTokenSource stop;
        lock (_lock)
        {
            if (_heartbeat is not null) return;
            _heartbeat = stop = new CancellationTokenSource();
        }
        _ = Task.Run(async () =>
        {
            var timeouts = Settings.TimeoutSettings;
            using var timer = new PeriodicTimer(timeouts.HeartbeatInterval);
            var leadingAt = DateTime.UtcNow;
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    if (Equals(_cluster.State.Leader, _cluster.SelfAddress)) leadingAt = DateTime.UtcNow;
                    else if (DateTime.UtcNow - leadingAt > NotLeadingRelease)
                    {
                        _log.Info("lease {0}: released, this node no longer leads the cluster", Settings.LeaseName);
                        try
                        {
                            await Release();
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            // Not renewed any more either way: it lapses after the heartbeat timeout.
                            _log.Warning("lease {0}: release failed: {1}", Settings.LeaseName, ex.Message);
                        }
                        return;
                    }
                    bool renewed;
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                        timeout.CancelAfter(timeouts.OperationTimeout);
                        renewed = await _store.TryAcquireAsync(Settings.LeaseName, Settings.OwnerName, Settings.OwnerName,
                            timeouts.HeartbeatTimeout, timeout.Token);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                    {
                        _log.Warning("lease {0}: renewal failed: {1}", Settings.LeaseName, ex.Message);
                        continue;
                    }
                    if (renewed) continue;
                    _held = false;
                    StopHeartbeat();
                    leaseLost(new LeaseException($"lease {Settings.LeaseName} was taken by another owner"));
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                // Released.
            }
        });
    }

    private void StopHeartbeat()
    {
        lock (_lock)
        {
            _heartbeat?.Cancel();
            _heartbeat?.Dispose();
            _heartbeat = null;
        }
    }
}
