using System.Text.Json;
using System.Text.RegularExpressions;
using Spokes.Actors.Gateway;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>Never two owners: three tunnels keep claiming and releasing the same hostnames and leasing and
/// releasing ports of a small range while one node hangs (SIGSTOP) long enough to be downed, is thawed (it stops)
/// and restarted. Every decision is in the journal; replayed in order, no hostname or port ever had a second owner
/// while the first held it, and at the end each has at most one.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ClusterOwnershipTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly string[] Contested = ["c1.example.com", "c2.example.com", "c3.example.com"];
    private ClusterTestbed Bed => cluster.Bed;

    [Fact]
    public Task ClaimsAndLeases_ThroughAHungAndDownedNode_NeverTwoOwners() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        var tunnels = new List<string> { cluster.Agent.TunnelId };
        foreach (var name in new[] { "bob", "cyd" })
        {
            var agent = await Bed.AddAgentAsync(name);
            await agent.StartAsync();
            tunnels.Add(agent.TunnelId);
        }
        using var stop = new CancellationTokenSource();
        var decisions = 0;
        var churn = tunnels.Select(tunnel => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var domain in Contested)
                {
                    await TryAsync(new RuleChange(RuleAction.HttpAdd, domain, "127.0.0.1", HttpPort: cluster.Http.Port));
                    await TryAsync(new RuleChange(RuleAction.HttpRemove, domain));
                }
                await TryAsync(new RuleChange(RuleAction.TcpAllocate));
                if (await TryAsync(null) is TunnelRulesReply rules)
                    foreach (var port in rules.Ports.Where(p => p.Port != cluster.LeasedPort).Take(1))
                        await TryAsync(new RuleChange(RuleAction.TcpRelease, Port: port.Port));
            }

            async Task<Spokes.Actors.Entities.IWireMessage?> TryAsync(RuleChange? change)
            {
                try
                {
                    var reply = await Bed.AdminAsync(new TunnelRulesRequest(tunnel, change));
                    if (change is not null) Interlocked.Increment(ref decisions);
                    return reply;
                }
                catch (Exception ex) when (ex is TimeoutException or Spokes.Actors.Client.ClusterUnreachableException)
                {
                    // A decision through the hung node: it is decided later or never, not twice.
                    return null;
                }
            }
        })).ToList();

        await Expect.Within(20.Seconds()).That("some decisions", () => Task.FromResult(Volatile.Read(ref decisions) > 10));
        var hung = Bed.Nodes[1];
        hung.Freeze();
        await Expect.Within(40.Seconds()).That("the hung node removed", async () =>
            (await Bed.AdminAsync(new ClusterStatusRequest())) is ClusterReply reply && reply.Nodes.All(n => n.Address != hung.NodeName));
        var before = Volatile.Read(ref decisions);
        await Expect.Within(30.Seconds()).That("decisions going on without it", () => Task.FromResult(Volatile.Read(ref decisions) > before + 10));
        hung.Thaw();
        Assert.Equal(1, await hung.Process!.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await hung.StartAsync();
        await Expect.Within(30.Seconds()).That("more decisions with it back", () => Task.FromResult(Volatile.Read(ref decisions) > before + 30));
        await stop.CancelAsync();
        await Task.WhenAll(churn);

        var audit = (await Bed.CliAsync("audit", "ls", "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(audit.Output);
        var history = json.RootElement.EnumerateArray()
            .Select(e => (Entity: e.GetProperty("entity").GetString()!, Event: e.GetProperty("event").GetString()!))
            .Where(e => e.Entity.StartsWith("domain-", StringComparison.Ordinal) || e.Entity.StartsWith("port-", StringComparison.Ordinal))
            .Where(e => !e.Event.Contains(" forwards to ", StringComparison.Ordinal) && !e.Event.EndsWith("destination reset", StringComparison.Ordinal))
            .ToList();
        var owners = new Dictionary<string, string?>();
        foreach (var (entity, description) in history)
        {
            var match = Decision().Match(description);
            Assert.True(match.Success, $"{entity}: unexpected audit line '{description}'");
            var tunnel = match.Groups["tunnel"].Value;
            var holder = owners.GetValueOrDefault(entity);
            if (match.Groups["what"].Value is "claimed" or "leased")
                Assert.True(holder is null, $"{entity}: '{description}' while tunnel {holder} held it");
            else
                Assert.True(holder == tunnel, $"{entity}: '{description}' but the holder was {holder ?? "nobody"}");
            owners[entity] = match.Groups["what"].Value is "claimed" or "leased" ? tunnel : null;
        }
        output.WriteLine($"{decisions} decisions pushed; {history.Count} claim/lease events replayed");
        Assert.True(history.Count(h => h.Entity.StartsWith("domain-c", StringComparison.Ordinal)) > 20);

        // Now: each contested hostname routes to at most one tunnel, each port is leased once.
        var rules = new List<TunnelRulesReply>();
        foreach (var tunnel in tunnels)
            rules.Add(await Expect.Within(20.Seconds()).That($"rules of {tunnel}", async () => await Bed.AdminAsync(new TunnelRulesRequest(tunnel, null)),
                r => r is TunnelRulesReply) as TunnelRulesReply ?? throw new InvalidOperationException());
        foreach (var domain in Contested)
            Assert.True(rules.Count(r => r.Http.Any(h => h.Domain == domain)) <= 1, $"{domain} is in two tunnels' rules");
        var ports = rules.SelectMany(r => r.Ports.Select(p => p.Port)).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        await cluster.HealAsync();
    });

    [GeneratedRegex(@"^(domain \S+|port \d+) (?<what>claimed|leased|released) (by|to) tunnel (?<tunnel>[0-9a-f]+)$")]
    private static partial Regex Decision();
}
