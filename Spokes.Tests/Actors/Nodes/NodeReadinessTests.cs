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
}
