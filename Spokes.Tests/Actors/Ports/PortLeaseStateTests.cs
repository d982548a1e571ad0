using Spokes.Actors.Entities;
using Spokes.Actors.Ports;

namespace Spokes.Tests.Actors.Ports;

public sealed class PortLeaseStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static PortLeaseState Run(PortLeaseState state, IPortLeaseMessage command) =>
        state.Decide(command, Now).Events.Aggregate(state, (s, e) => s.Apply(e));

    private static PortLeaseState LeasedTo(string tunnel) => Run(PortLeaseState.Empty, new LeasePort("22001", tunnel, "test"));

    [Fact]
    public void LeasePort_Free_LeasesToTheTunnel()
    {
        var lease = LeasedTo("t1");
        Assert.Equal(22001, lease.Port);
        Assert.Equal("t1", lease.TunnelId);
        Assert.True(lease.Leased);
    }

    [Fact]
    public void LeasePort_HeldByAnotherTunnel_RefusedWithConflict()
    {
        var decision = LeasedTo("t1").Decide(new LeasePort("22001", "t2", "test"), Now);
        Assert.Empty(decision.Events);
        Assert.Equal(ErrorCode.Conflict, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void LeasePort_HeldBySameTunnel_AnswersWithoutEvents()
    {
        var decision = LeasedTo("t1").Decide(new LeasePort("22001", "t1", "test"), Now);
        Assert.Empty(decision.Events);
        Assert.Null(decision.Reply);
    }

    [Fact]
    public void ReleasePort_ByNonHolder_Ignored()
    {
        var lease = LeasedTo("t1");
        var decision = lease.Decide(new ReleasePort("22001", "t2", "test"), Now);
        Assert.Empty(decision.Events);
        Assert.Null(decision.Reply);
        Assert.Equal("t1", Run(lease, new ReleasePort("22001", "t2", "test")).TunnelId);
    }

    [Fact]
    public void ReleasePort_ByHolderOrHousekeeping_Frees()
    {
        Assert.False(Run(LeasedTo("t1"), new ReleasePort("22001", "t1", "test")).Leased);
        Assert.False(Run(LeasedTo("t1"), new ReleasePort("22001", null, "clean")).Leased);
        Assert.Empty(PortLeaseState.Empty.Decide(new ReleasePort("22001", null, "clean"), Now).Events);
    }

    [Fact]
    public void SetPortDestination_NonHolder_RefusedWithNotFound()
    {
        var decision = LeasedTo("t1").Decide(new SetPortDestination("22001", "t2", "db", 5432, "test"), Now);
        Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void SetPortDestination_HolderThenReset_ClearsDestination()
    {
        var lease = Run(LeasedTo("t1"), new SetPortDestination("22001", "t1", "db", 5432, "test"));
        Assert.Equal(("db", (int?)5432), (lease.DestinationHost, lease.DestinationPort));
        lease = Run(lease, new ResetPortDestination("22001", "t1", "test"));
        Assert.Null(lease.DestinationHost);
        Assert.Null(lease.DestinationPort);
    }

    [Fact]
    public void ReleasePort_AfterDestination_ForgetsDestinationForNextHolder()
    {
        var lease = Run(LeasedTo("t1"), new SetPortDestination("22001", "t1", "db", 5432, "test"));
        lease = Run(Run(lease, new ReleasePort("22001", "t1", "test")), new LeasePort("22001", "t2", "test"));
        Assert.Equal("t2", lease.TunnelId);
        Assert.Null(lease.DestinationHost);
    }
}
