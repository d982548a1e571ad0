using Spokes.Actors.Tunnels;

namespace Spokes.Tests.Actors.Tunnels;

/// <summary>The tunnel entity records the agent's monitor reports as changes only: one audited event per rule that
/// changed or is no longer reported, none for a repeat.</summary>
public sealed class ServiceStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Reports_RecordChangesOnly_AndForgetWhatIsNoLongerReported()
    {
        var tunnel = TunnelState.Empty.Apply(new TunnelCreated("t1", "k1", null, "jack", "", T0, "test"));
        var first = tunnel.Decide(new RecordServiceStates("t1", [new ServiceState("http:a", true, T0), new ServiceState("tcp:1", true, T0)], "agent"), T0);
        Assert.Equal(2, first.Events.Count);
        tunnel = first.Events.Aggregate(tunnel, (s, e) => s.Apply(e));

        var repeat = tunnel.Decide(new RecordServiceStates("t1", [new ServiceState("http:a", true, T0), new ServiceState("tcp:1", true, T0)], "agent"), T0);
        Assert.Empty(repeat.Events);

        var down = tunnel.Decide(new RecordServiceStates("t1", [new ServiceState("http:a", true, T0), new ServiceState("tcp:1", false, T0.AddMinutes(1))], "agent"),
            T0.AddMinutes(1));
        var change = Assert.IsType<TunnelServiceChanged>(Assert.Single(down.Events));
        Assert.Equal("tunnel t1 service tcp:1 unavailable", change.Describe());
        tunnel = down.Events.Aggregate(tunnel, (s, e) => s.Apply(e));
        Assert.False(tunnel.Services["tcp:1"].Online);
        Assert.Equal(T0.AddMinutes(1), tunnel.Services["tcp:1"].Since);

        var off = tunnel.Decide(new RecordServiceStates("t1", [], "agent"), T0.AddMinutes(2));
        Assert.Equal(2, off.Events.Count);
        Assert.All(off.Events, e => Assert.Contains("no longer monitored", e.Describe()));
        Assert.Empty(off.Events.Aggregate(tunnel, (s, e) => s.Apply(e)).Services);
    }
}
