using Spokes.Actors.Nodes;

namespace Spokes.Tests.Actors.Nodes;

public sealed class NodeReadinessTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Up_OnceTheNodeMayServeAndItsListenersAccept_InEitherOrder_Once(bool listenersFirst)
    {
        var readiness = new NodeReadiness();
        int serving = 0, up = 0;
        readiness.Serving += () => serving++;
        readiness.Up += () => up++;

        if (listenersFirst) readiness.SetListening();
        readiness.SetJoined(true);
        Assert.Equal((0, 0), (serving, up));
        readiness.SetLeaseHeld(true);
        Assert.Equal((1, listenersFirst ? 1 : 0), (serving, up));
        if (!listenersFirst) readiness.SetListening();
        readiness.SetLeaseHeld(true);
        readiness.SetListening();

        Assert.Equal((1, 1), (serving, up));
    }

    [Fact]
    public void StoreDown_EverywhereStaysReady_DegradedSaidSo_DownHereOnlyIsNotReady()
    {
        var readiness = new NodeReadiness();
        readiness.SetJoined(true);
        readiness.SetLeaseHeld(true);
        Assert.True(readiness.IsReady);
        Assert.Equal("", readiness.Degraded);

        readiness.SetStoreReachable(false);
        Assert.True(readiness.IsReady);
        Assert.Contains("does not answer on any node", readiness.Degraded);
        Assert.True(DateTimeOffset.UtcNow - readiness.StoreLostAt < TimeSpan.FromMinutes(1));

        readiness.SetPeerReachesStore(true);
        Assert.False(readiness.IsReady);
        Assert.Equal("the store does not answer this node (it answers another)", readiness.Reason);
        readiness.SetStoreReachable(true);
        Assert.True(readiness.IsReady);
    }
}
