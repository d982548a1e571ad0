using System.Collections.Frozen;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Catalog;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Relay;

/// <summary>
/// The tunnels whose user has relayed its monthly bandwidth cap (<c>users quota --monthly-bytes</c>), as this node
/// last heard from the catalog: asked every <see cref="Interval"/>, so every node refuses the same visitors within
/// that (plus the traffic recorder's 3 s). <see cref="VisitorAdmission"/> refuses their new connections; connections
/// already open run on. When the catalog does not answer, the last answer stands.
/// </summary>
public sealed class BandwidthCaps(IServiceProvider services, TimeProvider time, ILogger<BandwidthCaps> log) : BackgroundService
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
                    var over = await catalog.Ask<OverBandwidthCap>(new FindOverBandwidthCap(time.GetUtcNow()), Interval);
                    var capped = over.TunnelIds.ToFrozenSet(StringComparer.Ordinal);
                    foreach (var id in capped.Except(_capped)) log.LogWarning("tunnel {Tunnel}: its user's monthly bandwidth cap is reached; new visitors refused", id);
                    foreach (var id in _capped.Except(capped)) log.LogInformation("tunnel {Tunnel}: below its user's monthly bandwidth cap again", id);
                    _capped = capped;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogDebug("bandwidth caps: the catalog did not answer ({Reason}); keeping the last answer", ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
