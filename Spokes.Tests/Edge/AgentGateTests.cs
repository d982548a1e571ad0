using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Actors.Configuration;
using Spokes.Edge.Relay;
using Spokes.Edge.Sessions;
using Spokes.Tests.Admin;

namespace Spokes.Tests.Edge;

public sealed class AgentGateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress Guesser = IPAddress.Parse("203.0.113.9");
    private static readonly IPAddress Agent = IPAddress.Parse("203.0.113.10");
    private static readonly ExemptNetworks NoExemptions = new(new LimitsConfig());

    [Fact]
    public void RefusedCredentials_FromOneAddress_MakeItWait_ForTheRestOfTheWindowOnly_OthersUnaffected()
    {
        var time = new ManualTime(T0);
        var gate = new AgentGate(time, NoExemptions, NullLogger<AgentGate>.Instance);
        for (var i = 0; i < AgentGate.FailuresPerWindow - 1; i++) gate.Failed(Guesser);
        Assert.Null(gate.RetryAfter(Guesser));

        gate.Failed(Guesser);
        Assert.Equal(AgentGate.Window, gate.RetryAfter(Guesser));
        Assert.Null(gate.RetryAfter(Agent));
        Assert.NotNull(gate.RetryAfter(Guesser.MapToIPv6()));

        time.Now = T0 + AgentGate.Window;
        Assert.Null(gate.RetryAfter(Guesser));
        gate.Failed(Guesser);
        Assert.Null(gate.RetryAfter(Guesser));
    }

    [Fact]
    public void PendingHandshakes_CappedPerAddress_TicketsGiveTheirPlaceBack()
    {
        var gate = new AgentGate(new ManualTime(T0), NoExemptions, NullLogger<AgentGate>.Instance);
        var tickets = Enumerable.Range(0, AgentGate.HandshakesPerAddress).Select(_ => gate.TryBeginHandshake(Guesser)).ToList();
        Assert.All(tickets, Assert.NotNull);
        Assert.Null(gate.TryBeginHandshake(Guesser));
        Assert.NotNull(gate.TryBeginHandshake(Agent));

        tickets[0]!.Dispose();
        tickets[0]!.Dispose();
        var again = gate.TryBeginHandshake(Guesser);
        Assert.NotNull(again);
        Assert.Null(gate.TryBeginHandshake(Guesser));
    }

    [Fact]
    public void PendingHandshakes_CappedInAll_AndStateGoesWithThem()
    {
        var gate = new AgentGate(new ManualTime(T0), NoExemptions, NullLogger<AgentGate>.Instance);
        var tickets = Enumerable.Range(0, AgentGate.Handshakes).Select(i => gate.TryBeginHandshake(IPAddress.Parse($"198.51.{i / 256}.{i % 256}"))).ToList();
        Assert.All(tickets, Assert.NotNull);
        Assert.Null(gate.TryBeginHandshake(Agent));

        foreach (var ticket in tickets) ticket!.Dispose();
        Assert.NotNull(gate.TryBeginHandshake(Agent));
        Assert.Equal(1, gate.TrackedEntries);
    }

    [Fact]
    public void FailureWindows_OfManyAddresses_AreSweptOnceExpired()
    {
        var time = new ManualTime(T0);
        var gate = new AgentGate(time, NoExemptions, NullLogger<AgentGate>.Instance);
        for (var i = 0; i < 5000; i++) gate.Failed(IPAddress.Parse($"198.18.{i / 256}.{i % 256}"));
        Assert.Equal(5000, gate.TrackedEntries);

        time.Now = T0 + AgentGate.Window;
        for (var i = 0; i < 1024; i++) gate.Failed(IPAddress.Parse($"198.19.{i / 256}.{i % 256}"));
        Assert.InRange(gate.TrackedEntries, 1024, 2048);
    }

    [Fact]
    public void ExemptAddresses_CountOnlyTowardsTheTotal()
    {
        var gate = new AgentGate(new ManualTime(T0), new ExemptNetworks(new LimitsConfig { Exempt = ["203.0.113.0/24"] }), NullLogger<AgentGate>.Instance);
        for (var i = 0; i < 50; i++) gate.Failed(Guesser);
        Assert.Null(gate.RetryAfter(Guesser));
        Assert.All(Enumerable.Range(0, 100).Select(_ => gate.TryBeginHandshake(Guesser)), Assert.NotNull);
    }
}
