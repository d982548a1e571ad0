using Spokes.Actors.Gateway;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary><c>limits.claimDomains</c> on a node of its own: agents claim names below the server's domain and the
/// listed ones, nothing else — from their own CLI and when the operator pushes a rule.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class ClaimDomainsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SpokesTestbed? _bed;

    public async Task InitializeAsync() =>
        _bed = await SpokesTestbed.StartAsync(limits: new { claimDomains = new[] { "*.allowed.test", "exact.test" } });

    public async Task DisposeAsync()
    {
        if (_bed is not null) await _bed.DisposeAsync();
    }

    [Fact]
    public Task ClaimDomains_ListedAndBelowTheServerDomainClaimed_OthersRefusedWithTheReason() => _bed!.ScenarioAsync(output, async () =>
    {
        var cleo = await _bed!.AddAgentAsync("cleo", "cleo");
        await cleo.StartAsync();

        foreach (var domain in new[] { "app." + SpokesTestbed.Domain, "exact.test", "a.b.allowed.test" })
            (await cleo.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", "8080")).ExpectExit(0);
        foreach (var domain in new[] { "www.example.com", "allowed.test", "exact.test.evil.example" })
            (await cleo.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", "8080"))
                .ExpectExit(1).ExpectError($"{domain} is outside the domains this server lets tunnels claim");
        var pushed = await _bed.AdminAsync(new TunnelRulesRequest(cleo.TunnelId,
            new RuleChange(RuleAction.HttpAdd, Domain: "pushed.example.org", Destination: "127.0.0.1", HttpPort: 8080)));
        Assert.Contains("outside the domains this server lets tunnels claim", Assert.IsType<Spokes.Actors.Entities.Refusal>(pushed).Message);

        var rules = Assert.IsType<TunnelRulesReply>(await _bed.AdminAsync(new TunnelRulesRequest(cleo.TunnelId, null)));
        Assert.Equal(["a.b.allowed.test", "app." + SpokesTestbed.Domain, "exact.test"], rules.Http.Select(r => r.Domain).Order());
    });
}
