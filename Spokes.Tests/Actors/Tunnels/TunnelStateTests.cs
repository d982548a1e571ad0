using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Tunnels;

namespace Spokes.Tests.Actors.Tunnels;

public sealed class TunnelStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 31, 23, 0, 0, TimeSpan.Zero);

    private static TunnelState Run(TunnelState state, ITunnelMessage command, DateTimeOffset? at = null)
    {
        var decision = state.Decide(command, at ?? Now);
        Assert.IsNotType<Refusal>(decision.Reply);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    private static TunnelState Created() => Run(TunnelState.Empty, new CreateTunnel("t1", "k1", null, null, "app", "test"));

    private static TunnelState WithPorts(params int[] ports) =>
        ports.Aggregate(Created(), (s, p) => s.Apply(TunnelState.PortAdded("t1", p, Now, "test")));

    [Fact]
    public void CreateTunnel_Twice_SecondAnswersWithoutEvents()
    {
        var tunnel = Created();
        Assert.True(tunnel.IsActive);
        Assert.Empty(tunnel.Decide(new CreateTunnel("t1", "k1", null, null, "app", "test"), Now).Events);
    }

    [Fact]
    public void AnyCommand_UnknownTunnel_RefusedWithNotFound()
    {
        foreach (ITunnelMessage command in new ITunnelMessage[]
                 {
                     new GetTunnel("t1"), new ShutdownTunnel("t1", "r", "test"), new AllocatePort("t1", 5, 1, 2, "test"),
                 })
            Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(TunnelState.Empty.Decide(command, Now).Reply).Code);
    }

    [Fact]
    public void AllocatePort_PortsAtMaxPorts_RefusedWithQuotaReached()
    {
        var decision = WithPorts(22001, 22002).Decide(new AllocatePort("t1", 2, 22000, 22999, "test"), Now);
        Assert.Empty(decision.Events);
        Assert.Equal(ErrorCode.QuotaReached, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void AllocatePort_MaxPortsZero_RefusedWithQuotaReached()
    {
        var decision = Created().Decide(new AllocatePort("t1", 0, 22000, 22999, "test"), Now);
        Assert.Equal(ErrorCode.QuotaReached, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void AllocatePort_BelowQuota_Accepted()
    {
        var decision = WithPorts(22001).Decide(new AllocatePort("t1", 2, 22000, 22999, "test"), Now);
        Assert.IsNotType<Refusal>(decision.Reply);
    }

    [Fact]
    public void AllocatePort_ShutDown_Refused()
    {
        var tunnel = Run(Created(), new ShutdownTunnel("t1", "r", "test"));
        Assert.Equal(ErrorCode.Invalid, Assert.IsType<Refusal>(tunnel.Decide(new AllocatePort("t1", 5, 1, 2, "test"), Now).Reply).Code);
    }

    [Fact]
    public void ShutdownTunnel_WithPorts_EmitsPortRemovedForEach()
    {
        var decision = WithPorts(22001, 22005).Decide(new ShutdownTunnel("t1", "revoked", "test"), Now);
        Assert.IsType<TunnelShutDown>(decision.Events[0]);
        Assert.Equal([22001, 22005], decision.Events.OfType<TunnelPortRemoved>().Select(e => e.Port).Order());
        var after = decision.Events.Aggregate(WithPorts(22001, 22005), (s, e) => s.Apply(e));
        Assert.Equal(TunnelLifecycle.Shutdown, after.Lifecycle);
        Assert.Empty(after.Ports);
    }

    [Fact]
    public void ShutdownTunnel_AlreadyShutDown_Idempotent()
    {
        var tunnel = Run(Created(), new ShutdownTunnel("t1", "r", "test"));
        Assert.Empty(tunnel.Decide(new ShutdownTunnel("t1", "r", "test"), Now).Events);
    }

    [Fact]
    public void ReleaseTunnelPort_NotHeld_RefusedWithNotFound()
    {
        var decision = WithPorts(22001).Decide(new ReleaseTunnelPort("t1", 22002, "test"), Now);
        Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(decision.Reply).Code);
        Assert.Empty(Run(WithPorts(22001), new ReleaseTunnelPort("t1", 22001, "test")).Ports);
    }

    [Fact]
    public void LegacyTraffic_SameDay_Accumulates()
    {
        var t = Relayed(Created(), 100, Now);
        t = Relayed(t, 50, Now.AddMinutes(30));
        Assert.Equal(150, t.DailyAt(Now));
        Assert.Equal(150, t.MonthlyAt(Now));
        Assert.Equal(150, t.BytesTotal);
    }

    [Fact]
    public void LegacyTraffic_NextDaySameMonth_DailyRollsOverMonthlyKeeps()
    {
        var day1 = new DateTimeOffset(2026, 3, 10, 23, 59, 0, TimeSpan.Zero);
        var day2 = day1.AddMinutes(2);
        var t = Relayed(Relayed(Created(), 100, day1), 7, day2);
        Assert.Equal(7, t.DailyAt(day2));
        Assert.Equal(107, t.MonthlyAt(day2));
        Assert.Equal(107, t.BytesTotal);
    }

    [Fact]
    public void LegacyTraffic_NextMonth_BothRollOver()
    {
        var t = Relayed(Relayed(Created(), 100, Now), 7, Now.AddHours(2));
        Assert.Equal(7, t.DailyAt(Now.AddHours(2)));
        Assert.Equal(7, t.MonthlyAt(Now.AddHours(2)));
        Assert.Equal(107, t.BytesTotal);
    }

    [Fact]
    public void DailyAt_LaterDayWithoutTraffic_ReadsZero()
    {
        var t = Relayed(Created(), 100, Now);
        Assert.Equal(0, t.DailyAt(Now.AddDays(1)));
        Assert.Equal(0, t.MonthlyAt(Now.AddDays(1)));
        Assert.Equal(100, t.DailyAt(Now));
    }

    [Fact]
    public void LegacyTraffic_UtcDayDecides_NotLocalOffset()
    {
        var late = new DateTimeOffset(2026, 3, 10, 23, 30, 0, TimeSpan.FromHours(-5)); // 04:30 UTC on the 11th
        var t = Relayed(Created(), 5, late);
        Assert.Equal("2026-03-11", t.CounterDay);
    }

    [Fact]
    public void CacheHttpRulesAndSession_Recorded()
    {
        var rule = new HttpRuleInfo("a.example.com", "127.0.0.1", 80, null, null, false, null, false, false, false, false);
        var t = Run(Run(Created(), new CacheHttpRules("t1", [rule], "test")), new RecordSessionStart("t1", "1.2.3.4:5", "test"));
        Assert.Equal(rule, Assert.Single(t.HttpRules));
        Assert.Equal("1.2.3.4:5", t.LastAddress);
    }

    /// <summary>A tunnel state after a journal's <see cref="TunnelTrafficRecorded"/> (written before traffic history had its table).</summary>
    private static TunnelState Relayed(TunnelState state, long bytes, DateTimeOffset at) =>
        state.Apply(new TunnelTrafficRecorded(state.Id, [new ConnectionRecord(at, "http:a.example.com", "192.0.2.1:5000", bytes, 0, 1, "test")], at, "edge"));

    [Fact]
    public void LastSeen_IsTheLatestOfSessionStartLinkCloseAndRelayedConnection()
    {
        var started = Run(Created(), new RecordSessionStart("t1", "192.0.2.7:5000", "agent"), Now);
        Assert.Equal(Now, started.LastSeen);
        var closed = Run(started, new RecordLinkClosed("t1", "node-a", "agent"), Now.AddMinutes(5));
        Assert.Equal(Now.AddMinutes(5), closed.LastSeen);
        // A connection record arriving late (closed before the link did) does not move it back.
        Assert.Equal(Now.AddMinutes(5), Relayed(closed, 10, Now.AddMinutes(1)).LastSeen);
        Assert.Equal(Now.AddMinutes(9), Relayed(closed, 10, Now.AddMinutes(9)).LastSeen);
    }
}
