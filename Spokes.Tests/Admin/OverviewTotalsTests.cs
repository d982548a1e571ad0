using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Store;
using Spokes.Actors.Tunnels;
using Spokes.Admin.Services;

namespace Spokes.Tests.Admin;

/// <summary>Overview's bandwidth against the real wiring: a tunnel shut down today still counts for today.</summary>
public sealed class OverviewTotalsTests
{
    [Fact]
    public async Task Overview_TunnelShutDownAfterCarryingTraffic_StillInTodaysAndThisMonthsBytes_NotInTheCounts()
    {
        await using var host = await ConsoleTestHost.StartAsync(null);
        var operations = host.Get<AdminOperations>();
        var created = Assert.IsType<AdminSecretCreated>(await operations.CreateTokenAsync("busy.example.com", null, null, "test"));
        var tunnelId = TunnelIds.ForToken(created.Id);
        var traffic = new ConnectionRecord(DateTimeOffset.UtcNow, "http:busy.example.com", "192.0.2.1:5000", 60_000_000, 26_000_000, 900, "n1");
        await host.Get<TrafficStore>().WriteAsync([(tunnelId, traffic)]);
        Assert.IsType<AdminDone>(await operations.ShutdownTunnelAsync(tunnelId, "test", "test"));

        var directory = host.Get<ITunnelDirectory>();
        OverviewDto? overview = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            overview = (await directory.OverviewAsync()).Value;
            if (overview is { BytesDaily: >= 86_000_000, Total: 0 }) break;
            await Task.Delay(100);
        }

        Assert.NotNull(overview);
        Assert.Equal((86_000_000L, 86_000_000L, 0), (overview!.BytesDaily, overview.BytesMonthly, overview.Total));
        Assert.Contains(overview.Busiest, t => t.Id == tunnelId);
    }
}
