using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;
using Spokes.Actors.Security;
using Spokes.Actors.Tunnels;
using Spokes.Edge.Routing;

namespace Spokes.Tests.Edge.Routing;

/// <summary>Automatic hostnames: derived names (stable, unguessable without the key) and how the route table uses them.</summary>
public sealed class AutoHostnameTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Label_StableForOneKey_DifferentPerTunnelAndKey()
    {
        var box = new SecretBox([1, 2, 3]);
        var label = box.Label("auto-hostname", "t1");
        Assert.Matches("^[a-z2-7]{16}$", label);
        Assert.Equal(label, new SecretBox([1, 2, 3]).Label("auto-hostname", "t1"));
        Assert.NotEqual(label, box.Label("auto-hostname", "t2"));
        Assert.NotEqual(label, new SecretBox([9, 9, 9]).Label("auto-hostname", "t1"));
    }

    [Fact]
    public void RouteTable_AliasRoutesToTheFirstNonWildcardRule_AnExplicitRuleWins()
    {
        var routes = new[]
        {
            Routes("t1", "zeta.example.com", "*.wild.example.com", "alpha.example.com"),
            Routes("t2", "beta.example.com", "taken.localhost"),
            Routes("t3", "*.only-wild.example.com"),
        };
        var links = routes.Select(r => new LinkPresence(r.TunnelId, "s-" + r.TunnelId, "n1", "n1:443", "192.0.2.1:1", T0, "", T0, 1));
        var nodes = new Dictionary<string, NodeInfo> { ["n1"] = new("n1", "n1:443", "n1:443", false, T0, new NodeLoad(0, 0, 0, 0), T0) };
        Func<string, string?> names = id => id == "t3" ? "gamma.localhost" : id == "t2" ? "taken.localhost" : $"{id}.localhost";

        var table = new RouteTable(routes, links, nodes, autoHostname: names);
        Assert.Equal("alpha.example.com", table.Aliases["t1.localhost"]);
        Assert.Equal("t1", table.ByDomain["t1.localhost"].TunnelId);
        Assert.Equal("alpha.example.com", table.HttpRules["t1.localhost"].Domain);
        Assert.False(table.Aliases.ContainsKey("taken.localhost"), "a rule for the very name wins");
        Assert.Equal("t2", table.ByDomain["taken.localhost"].TunnelId);
        Assert.False(table.ByDomain.ContainsKey("gamma.localhost"), "no plain rule, no name");

        var off = new RouteTable(routes, links, nodes);
        Assert.Empty(off.Aliases);
        Assert.False(off.ByDomain.ContainsKey("t1.localhost"));
    }

    private static TunnelRoutes Routes(string tunnel, params string[] domains) =>
        new(tunnel, "s-" + tunnel, [.. domains.Select(d => new HttpRuleInfo(d, "127.0.0.1", 8080, null, null, false, null, false, false, false, false))],
            ImmutableList<int>.Empty, T0);
}
