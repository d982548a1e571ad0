using System.Collections.Frozen;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Catalog;
using Spokes.Actors.Gateway;
using Spokes.Actors.Store;

namespace Spokes.Edge.Relay;

/// <summary>
/// The tunnels whose user has relayed its monthly bandwidth cap (<c>users quota --monthly-bytes</c>), as this node
/// last heard: every <see cref="Interval"/> it asks the catalog for the capped users and their tunnels and reads this
/// month's bytes from the traffic history, so every node refuses the same visitors within that (plus the traffic
/// recorder's 3 s). <see cref="VisitorAdmission"/> refuses their new connections; connections
/// already open run on. When the catalog or the store does not answer, the last answer stands.
/// </summary>
public sealed class BandwidthCaps(IServiceProvider services, TrafficStore traffic, TimeProvider time, ILogger<BandwidthCaps> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private FrozenSet<string> _capped = FrozenSet<string>.Empty;

    public bool IsCapped(string tunnelId) => _capped.Contains(tunnelId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // Resolved late: the regions exist only once the actor system runs.
                    var catalog = services.GetRequiredService<SpokesRegions>().Catalog;
                    var now = time.GetUtcNow();
                    var users = (await catalog.Ask<CappedUsers>(new FindCappedUsers(now), Interval)).Users;
                    var recorded = users.Count == 0 ? null : await MonthlyAsync(now, stoppingToken);
                    var capped = users.Where(u => u.IsOver(recorded!)).SelectMany(u => u.Tunnels.Keys).ToFrozenSet(StringComparer.Ordinal);
                    foreach (var id in capped.Except(_capped)) log.LogWarning("tunnel {Tunnel}: its user's monthly bandwidth cap is reached; new visitors refused", id);
                    foreach (var id in _capped.Except(capped)) log.LogInformation("tunnel {Tunnel}: below its user's monthly bandwidth cap again", id);
                    _capped = capped;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogDebug("bandwidth caps: the catalog or the store did not answer ({Reason}); keeping the last answer", ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<IReadOnlyDictionary<string, long>> MonthlyAsync(DateTimeOffset now, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Interval);
        return (await traffic.TotalsAsync(now, ct: timeout.Token)).ToDictionary(t => t.Key, t => t.Value.Monthly);
    }
}
