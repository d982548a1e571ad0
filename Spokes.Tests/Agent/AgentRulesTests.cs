using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Agent.Relay;
using Spokes.Agent.Session;
using Spokes.Tunnel.Control;

namespace Spokes.Tests.Agent;

public class AgentRulesTests
{
    private static readonly AgentConfig Config = new()
    {
        Http = [new HttpRule { Domain = "app.example.com", Destination = "localhost", HttpPort = 8080, TlsPort = 8443 },
                new HttpRule { Domain = "*.wild.example.com", Destination = "10.0.0.2" }],
        Tcp = [new TcpRule { Port = 20001, Destination = "db", DstPort = 5432 }, new TcpRule { Port = 20002 }],
    };

    [Fact]
    public void RuleBook_HttpAddSameDomain_ReplacesTheRule()
    {
        var change = RuleBook.Apply(Config, new LocalRequest { Op = LocalOps.HttpAdd, Rule = new HttpRule { Domain = "APP.example.com", Destination = "web", HttpPort = 80 } }, strict: true);

        Assert.Equal(["*.wild.example.com", "APP.example.com"], change.Config!.Http.Select(r => r.Domain));
    }

    [Fact]
    public void RuleBook_StrictRemoveOfUnknownRule_IsNotFound_ButUpsertWhenNodeAgreed()
    {
        var missing = new LocalRequest { Op = LocalOps.TcpForward, Port = 30000, Destination = "x", DstPort = 1 };

        Assert.Equal(RuleFailure.NotFound, RuleBook.Apply(Config, missing, strict: true).Failure);
        Assert.Contains(RuleBook.Apply(Config, missing, strict: false).Config!.Tcp, r => r.Port == 30000);
        Assert.Equal(RuleFailure.NotFound, RuleBook.Apply(Config, new LocalRequest { Op = LocalOps.HttpRemove, Domain = "x.example.com" }, strict: true).Failure);
    }

    [Fact]
    public void RuleBook_TcpResetKeepsLease_ReleaseDropsIt()
    {
        var reset = RuleBook.Apply(Config, new LocalRequest { Op = LocalOps.TcpReset, Port = 20001 }, strict: true).Config!;
        var released = RuleBook.Apply(Config, new LocalRequest { Op = LocalOps.TcpRelease, Port = 20001 }, strict: true).Config!;

        Assert.Null(reset.Tcp.Single(r => r.Port == 20001).Destination);
        Assert.DoesNotContain(released.Tcp, r => r.Port == 20001);
    }

    [Theory]
    [InlineData("app.example.com", null)]
    [InlineData("*.example.com", null)]
    [InlineData("localhost", "not a valid domain")]
    [InlineData("-bad.example.com", "not a valid domain")]
    [InlineData("a b.example.com", "not a valid domain")]
    public void Validation_Domain(string domain, string? error)
    {
        string? result = RuleValidation.Domain(domain);

        if (error is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(error, result);
        }
    }

    [Fact]
    public void RouteTable_ResolvesHttpTlsTcpAndWildcard_UnknownIsNull()
    {
        StreamOpenHeader Header(StreamKind kind, string? domain = null, int? port = null) =>
            new() { Kind = kind, Domain = domain, Port = port, ClientAddress = "1.2.3.4:5" };

        Assert.Equal(StreamRoute.Raw("localhost", 8080), RouteTable.Resolve(Config, Header(StreamKind.Http, "app.example.com")));
        Assert.Equal(StreamRoute.Raw("localhost", 8443), RouteTable.Resolve(Config, Header(StreamKind.Tls, "APP.example.com")));
        Assert.Equal(StreamRoute.Raw("10.0.0.2", 80), RouteTable.Resolve(Config, Header(StreamKind.Http, "a.wild.example.com")));
        Assert.Equal(StreamRoute.Raw("db", 5432), RouteTable.Resolve(Config, Header(StreamKind.Tcp, port: 20001)));
        Assert.Null(RouteTable.Resolve(Config, Header(StreamKind.Tcp, port: 20002)));
        Assert.Null(RouteTable.Resolve(Config, Header(StreamKind.Http, "other.example.com")));
    }

    [Fact]
    public void PoolPlan_GrowsOnlyWhenOverThresholdAndBelowMax_ClosesAfterIdleTimeout()
    {
        Assert.False(PoolPlan.ShouldGrow([64], maxPoolSize: 4, threshold: 64));
        Assert.True(PoolPlan.ShouldGrow([65], maxPoolSize: 4, threshold: 64));
        Assert.False(PoolPlan.ShouldGrow([100, 20], maxPoolSize: 4, threshold: 64));
        Assert.False(PoolPlan.ShouldGrow([200, 200, 200, 200], maxPoolSize: 4, threshold: 64));

        var now = DateTimeOffset.UnixEpoch.AddHours(1);
        Assert.False(PoolPlan.ShouldClose(null, now, TimeSpan.FromMinutes(1)));
        Assert.False(PoolPlan.ShouldClose(now.AddSeconds(-59), now, TimeSpan.FromMinutes(1)));
        Assert.True(PoolPlan.ShouldClose(now.AddSeconds(-60), now, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void LegPlan_Target_TwoNodesByDefault_BoundedByPoolAndLiveNodes_OneForOlderNodes()
    {
        NodeEndpoint[] three = [new("a", "10.0.0.1:443"), new("b", "10.0.0.2:443"), new("c", "10.0.0.3:443", Draining: true)];

        Assert.Equal(2, LegPlan.Target(2, 5, three));
        Assert.Equal(2, LegPlan.Target(3, 5, three)); // the draining one does not count
        Assert.Equal(1, LegPlan.Target(2, 1, three));
        Assert.Equal(1, LegPlan.Target(null, 5, three));
        Assert.Equal(1, LegPlan.Target(2, 5, []));
    }

    [Fact]
    public void LegPlan_Next_SkipsHeldDrainingAndRecentlyFailedNodes()
    {
        var now = DateTimeOffset.UnixEpoch.AddHours(1);
        NodeEndpoint[] nodes = [new("a", "10.0.0.1:443"), new("b", "10.0.0.2:443", Draining: true), new("c", "10.0.0.3:443"), new("d", "10.0.0.4:443")];

        Assert.Equal("c", LegPlan.Next(nodes, ["a"], new Dictionary<string, DateTimeOffset>(), now)?.Node);
        Assert.Equal("d", LegPlan.Next(nodes, ["a"], new Dictionary<string, DateTimeOffset> { ["c"] = now.AddSeconds(1) }, now)?.Node);
        Assert.Equal("c", LegPlan.Next(nodes, ["a"], new Dictionary<string, DateTimeOffset> { ["c"] = now }, now)?.Node);
        Assert.Null(LegPlan.Next(nodes, ["a", "c", "d"], new Dictionary<string, DateTimeOffset>(), now));
    }

    [Fact]
    public void LegPlan_Reconnect_KnownLiveNodesExceptTheOneThatFailed_ThenTheConfiguredEndpoint()
    {
        NodeEndpoint[] nodes = [new("a", "10.0.0.1:443"), new("b", "10.0.0.2:443"), new("c", "10.0.0.3:443", Draining: true)];

        Assert.Equal(["10.0.0.2:443", null], LegPlan.Reconnect(nodes, ["a"]));
        Assert.Equal([null], LegPlan.Reconnect([], []));
    }

    [Fact]
    public void Backoff_DoublesWithJitter_CapsAt30s_ResetStartsOver()
    {
        var backoff = new Backoff(new Random(7));
        double[] delays = [.. Enumerable.Range(0, 10).Select(_ => backoff.Next().TotalSeconds)];

        Assert.InRange(delays[0], 0.375, 0.625);
        Assert.InRange(delays[3], 3.0, 5.0);
        Assert.All(delays, d => Assert.InRange(d, 0.3, 30.0));
        Assert.InRange(delays[9], 22.5, 30.0);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.375, 0.625);
    }

    [Fact]
    public void RuleSupport_AgentSideOptions_OnlyFromAnAgentThatServesThem()
    {
        var password = new HttpRule { Domain = "a.example.com", Destination = "localhost", HttpPort = 80, Password = RuleSupport.SecretPlaceholder };
        var letsEncrypt = password with { Password = null, LetsEncrypt = true };

        Assert.Contains("--password is not supported yet", RuleSupport.NotEnforced(password, [AgentFeatures.Legs]));
        Assert.Contains("--password is not supported yet", RuleSupport.NotEnforced(password, null));
        Assert.Null(RuleSupport.NotEnforced(password, [AgentFeatures.Legs, AgentFeatures.HttpOptions]));
        Assert.Contains("--letsencrypt", RuleSupport.NotEnforced(letsEncrypt, [AgentFeatures.Legs]));
        Assert.Null(RuleSupport.NotEnforced(letsEncrypt, [AgentFeatures.HttpOptions]));
        Assert.Contains("wildcard", RuleSupport.Inconsistent(letsEncrypt with { Domain = "*.example.com" }));
        Assert.Equal(RuleSupport.SecretPlaceholder, RuleSupport.ForNode(password with { Password = "pbkdf2-sha256$1$AA==$AA==" }).Password);
    }
}
