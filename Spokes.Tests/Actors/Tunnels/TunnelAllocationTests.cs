using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tunnels;
using Spokes.Tests.Actors.Ports;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Tunnels;

/// <summary>Port allocation through TunnelEntity, the real catalog and PortLease entities behind a shard stand-in.</summary>
public sealed class TunnelAllocationTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly IActorRef _catalog;
    private readonly IActorRef _ports;

    public TunnelAllocationTests(ITestOutputHelper output) : base(SpokesTestConfig.Create(), "allocation", output)
    {
        _catalog = Sys.ActorOf(CatalogActor.Props(null), "catalog");
        _ports = Sys.ActorOf(PortLeaseShard.Props(_catalog, TimeProvider.System), "ports");
    }

    private async Task<IActorRef> TunnelAsync(string id)
    {
        var tunnel = Sys.ActorOf(TunnelEntity.Props(id, _catalog, _ports, TimeProvider.System), id);
        await tunnel.Ask<TunnelReply>(new CreateTunnel(id, "k-" + id, null, null, "", "test"), Wait);
        return tunnel;
    }

    [Fact]
    public async Task AllocatePort_FreePort_LeasedRecordedAndListed()
    {
        var tunnel = await TunnelAsync("t1");
        var allocated = await tunnel.Ask<PortAllocated>(new AllocatePort("t1", 5, 24000, 24009, "test"), Wait);
        Assert.InRange(allocated.Port, 24000, 24009);
        var state = (await tunnel.Ask<TunnelReply>(new GetTunnel("t1"), Wait)).Tunnel;
        Assert.Equal([allocated.Port], state.Ports);
        var leases = (await _catalog.Ask<PortLeaseList>(new ListPortLeases(), Wait)).Leases;
        Assert.Contains(leases, l => l.Port == allocated.Port && l.TunnelId == "t1");
        var tunnels = (await _catalog.Ask<TunnelList>(new ListTunnels(), Wait)).Tunnels;
        Assert.Contains(tunnels, t => t.Id == "t1" && t.Ports.Contains(allocated.Port));
    }

    [Fact]
    public async Task AllocatePort_RangeExhausted_RefusedWithExhausted()
    {
        var tunnel = await TunnelAsync("t1");
        for (var i = 0; i < 3; i++)
            await tunnel.Ask<PortAllocated>(new AllocatePort("t1", 10, 24000, 24002, "test"), Wait);
        var refusal = await tunnel.Ask<Refusal>(new AllocatePort("t1", 10, 24000, 24002, "test"), Wait);
        Assert.Equal(ErrorCode.Exhausted, refusal.Code);
        Assert.Equal(3, (await tunnel.Ask<TunnelReply>(new GetTunnel("t1"), Wait)).Tunnel.Ports.Count);
    }

    [Fact]
    public async Task AllocatePort_MaxPortsReached_RefusedWithQuotaReached()
    {
        var tunnel = await TunnelAsync("t1");
        await tunnel.Ask<PortAllocated>(new AllocatePort("t1", 2, 24000, 24009, "test"), Wait);
        await tunnel.Ask<PortAllocated>(new AllocatePort("t1", 2, 24000, 24009, "test"), Wait);
        var refusal = await tunnel.Ask<Refusal>(new AllocatePort("t1", 2, 24000, 24009, "test"), Wait);
        Assert.Equal(ErrorCode.QuotaReached, refusal.Code);
        Assert.Equal(2, (await _catalog.Ask<PortLeaseList>(new ListPortLeases(), Wait)).Leases.Count);
    }

    [Fact]
    public async Task AllocatePort_ConcurrentTunnels_NeverShareAPort()
    {
        var ids = new[] { "t1", "t2", "t3", "t4" };
        var tunnels = new List<IActorRef>();
        foreach (var id in ids) tunnels.Add(await TunnelAsync(id));
        // 20 allocations over a 10-port range, all in flight at once.
        var asks = Enumerable.Range(0, 20).Select(i => (Tunnel: ids[i % 4],
            Reply: tunnels[i % 4].Ask<IWireMessage>(new AllocatePort(ids[i % 4], 10, 24000, 24009, "test"), Wait))).ToList();
        await Task.WhenAll(asks.Select(a => a.Reply));

        var granted = asks.Where(a => a.Reply.Result is PortAllocated)
            .Select(a => (a.Tunnel, ((PortAllocated)a.Reply.Result).Port)).ToList();
        Assert.Equal(10, granted.Count);
        Assert.Equal(10, granted.Select(g => g.Port).Distinct().Count());
        Assert.All(asks.Where(a => a.Reply.Result is not PortAllocated),
            a => Assert.Equal(ErrorCode.Exhausted, Assert.IsType<Refusal>(a.Reply.Result).Code));

        var held = new List<(string, int)>();
        foreach (var (id, tunnel) in ids.Zip(tunnels))
            held.AddRange((await tunnel.Ask<TunnelReply>(new GetTunnel(id), Wait)).Tunnel.Ports.Select(p => (id, p)));
        Assert.Equal(granted.OrderBy(g => g.Port), held.OrderBy(h => h.Item2));
        var leases = (await _catalog.Ask<PortLeaseList>(new ListPortLeases(), Wait)).Leases;
        Assert.Equal(granted.OrderBy(g => g.Port), leases.Select(l => (l.TunnelId!, l.Port)));
    }

    [Fact]
    public async Task ShutdownTunnel_WithPorts_ForgetsThem()
    {
        var tunnel = await TunnelAsync("t1");
        await tunnel.Ask<PortAllocated>(new AllocatePort("t1", 5, 24000, 24009, "test"), Wait);
        var state = (await tunnel.Ask<TunnelReply>(new ShutdownTunnel("t1", "test", "test"), Wait)).Tunnel;
        Assert.Equal(TunnelLifecycle.Shutdown, state.Lifecycle);
        Assert.Empty(state.Ports);
        Assert.Equal(ErrorCode.Invalid, (await tunnel.Ask<Refusal>(new AllocatePort("t1", 5, 24000, 24009, "test"), Wait)).Code);
    }
}
