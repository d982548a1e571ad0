using System.Net;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Tests.Tunnel;

/// <summary>Firewall lists as values: parsing, validation, matching, and the agent's edits of them.</summary>
public class FirewallListTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData(" 192.0.2.7 ", "192.0.2.7/32")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("::1", "::1/128")]
    [InlineData("::ffff:198.51.100.0/24", "198.51.100.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    public void TryNormalize_GoodNetworks_CanonicalForm(string text, string expected)
    {
        Assert.Null(Firewall.TryNormalize(text, out var network));
        Assert.Equal(expected, network);
    }

    [Theory]
    [InlineData("10.1.2.3/8", "did you mean 10.0.0.0/8?")]
    [InlineData("10.0.0.0/33", "bad prefix length")]
    [InlineData("10.0.0.0/-1", "bad prefix length")]
    [InlineData("10.0.0.0/ 8", "bad prefix length")]
    [InlineData("example.com", "is not a network")]
    [InlineData("fe80::1%eth0/64", "is not a network")]
    [InlineData("", "is not a network")]
    public void TryNormalize_BadNetworks_OneLineReason(string text, string reason)
    {
        Assert.Contains(reason, Firewall.TryNormalize(text, out _));
    }

    [Fact]
    public void Validate_RefusesNonCanonical_Duplicates_AcrossLists_AndTooMany()
    {
        Assert.Null(Firewall.Validate(["10.0.0.0/8"], ["10.9.0.0/16"]));
        Assert.Contains("canonical", Firewall.Validate(["10.0.0.1"], null));
        Assert.Contains("in both", Firewall.Validate(["10.0.0.0/8"], ["10.0.0.0/8"]));
        var many = Enumerable.Range(0, Firewall.MaxEntries + 1).Select(i => $"10.0.{i}.0/24").ToList();
        Assert.Contains("at most", Firewall.Validate(many, null));
    }

    [Fact]
    public void NetworkFilter_DropWins_AllowListAdmitsOnlyItsNetworks_MappedAddressesMatchIPv4()
    {
        var filter = NetworkFilter.From(["10.0.0.0/8", "2001:db8::/32"], ["10.9.0.0/16"])!;

        Assert.True(filter.Admits(IPAddress.Parse("10.1.2.3")));
        Assert.True(filter.Admits(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.True(filter.Admits(IPAddress.Parse("2001:db8::5")));
        Assert.False(filter.Admits(IPAddress.Parse("10.9.0.1")));
        Assert.False(filter.Admits(IPAddress.Parse("192.0.2.1")));
        Assert.False(filter.Admits(IPAddress.Parse("::1")));

        var dropOnly = NetworkFilter.From(null, ["192.0.2.0/24"])!;
        Assert.True(dropOnly.Admits(IPAddress.Parse("198.51.100.1")));
        Assert.False(dropOnly.Admits(IPAddress.Parse("192.0.2.200")));
        Assert.Null(NetworkFilter.From([], []));
    }

    [Fact]
    public void NetworkFilter_AnEntryThatDoesNotParse_FailsClosed()
    {
        var filter = NetworkFilter.From(null, ["bogus"])!;

        Assert.False(filter.Admits(IPAddress.Parse("198.51.100.1")));
        Assert.False(filter.Admits(IPAddress.IPv6Loopback));
    }

    private static readonly AgentConfig Config = new()
    {
        Http = [new HttpRule { Domain = "app.example.com", Destination = "localhost", HttpPort = 8080 }],
        Tcp = [new TcpRule { Port = 20001, Destination = "db", DstPort = 5432 }],
    };

    private static AgentConfig Http(AgentConfig config, string action, string network) =>
        RuleBook.Apply(config, new LocalRequest { Op = LocalOps.HttpFirewall, Domain = "app.example.com", Action = action, Network = network },
            strict: true).Config!;

    [Fact]
    public void RuleBook_AllowThenDropOfTheSameNetwork_MovesIt_RmOfAnAbsentNetworkIsNotFound()
    {
        var allowed = Http(Config, FirewallActions.Allow, "192.0.2.0/24");
        Assert.Equal(["192.0.2.0/24"], allowed.Http[0].Allow!);

        var dropped = Http(allowed, FirewallActions.Drop, "192.0.2.0/24");
        Assert.Null(dropped.Http[0].Allow);
        Assert.Equal(["192.0.2.0/24"], dropped.Http[0].Drop!);

        var removed = Http(dropped, FirewallActions.Remove, "192.0.2.0/24");
        Assert.Null(removed.Http[0].Drop);
        var absent = RuleBook.Apply(removed, new LocalRequest
        {
            Op = LocalOps.HttpFirewall, Domain = "app.example.com", Action = FirewallActions.Remove, Network = "192.0.2.0/24",
        }, strict: true);
        Assert.Equal(RuleFailure.NotFound, absent.Failure);
        Assert.Equal(RuleFailure.NotFound, RuleBook.Apply(Config, new LocalRequest
        {
            Op = LocalOps.HttpFirewall, Domain = "other.example.com", Action = FirewallActions.Allow, Network = "192.0.2.0/24",
        }, strict: false).Failure);
    }

    [Fact]
    public void RuleBook_ReAddingADomainOrForwardingAPort_KeepsTheirLists_APushedRuleReplacesThem()
    {
        var guarded = Http(Config, FirewallActions.Drop, "198.51.100.0/24");
        var port = RuleBook.Apply(guarded, new LocalRequest
        {
            Op = LocalOps.TcpFirewall, Port = 20001, Action = FirewallActions.Allow, Network = "203.0.113.9",
        }, strict: true).Config!;
        Assert.Equal(["203.0.113.9/32"], port.Tcp[0].Allow!);

        var readded = RuleBook.Apply(port, new LocalRequest
        {
            Op = LocalOps.HttpAdd, Rule = new HttpRule { Domain = "app.example.com", Destination = "web", HttpPort = 80 },
        }, strict: true).Config!;
        Assert.Equal(["198.51.100.0/24"], readded.Http[0].Drop!);
        var forwarded = RuleBook.Apply(readded, new LocalRequest { Op = LocalOps.TcpForward, Port = 20001, Destination = "db2", DstPort = 5433 },
            strict: true).Config!;
        Assert.Equal(["203.0.113.9/32"], forwarded.Tcp[0].Allow!);

        var pushed = RuleBook.Apply(forwarded, new LocalRequest
        {
            Op = LocalOps.HttpAdd, Rule = new HttpRule { Domain = "app.example.com", Destination = "web", HttpPort = 80, Allow = [], Drop = [] },
        }, strict: false).Config!;
        Assert.Null(pushed.Http[0].Drop);
        var set = RuleBook.Apply(pushed, new LocalRequest { Op = LocalOps.TcpFirewallSet, Port = 20001, Allow = [], Drop = ["10.0.0.0/8"] },
            strict: false).Config!;
        Assert.Null(set.Tcp[0].Allow);
        Assert.Equal(["10.0.0.0/8"], set.Tcp[0].Drop!);
    }
}
