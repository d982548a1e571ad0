using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>The store (PostgreSQL) gone for 30 s under traffic: every node stays ready — a balancer taking them all
/// out would cut every tunnel — and relays from memory, changes are refused at once with a clear line, and once the
/// store is back changes go through again without a restart (docs/reliability.md, "Faults").</summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StoreStopped30s_TunnelsKeepRelaying_ChangesRefusedClearly_BackWithoutRestart()
    {
        await using var http = await HttpBackend.StartAsync();
        await using var bed = await ClusterTestbed.StartAsync(nodes: 2, storeGate: true);
        await bed.ScenarioAsync(output, async () =>
        {
            var agent = await bed.StartAppAgentAsync("outage", http.Port);
            await Expect.Within(30.Seconds()).That("the tunnel on both nodes", () => bed.TunnelAsync(agent.TunnelId),
                t => t.Online && t.Node.Split(',').Length == 2);
            await using var loop = RequestLoop.Start(ClusterTestbed.BalancerHost, bed.HttpPort, TrafficFixture.AppDomain, workers: 2,
                timeout: TimeSpan.FromSeconds(5));
            await Expect.Within(15.Seconds()).That("requests succeeding", () => Task.FromResult(loop.SucceedingFor(TimeSpan.FromSeconds(1))));

            var bytesAtCut = (await bed.TunnelAsync(agent.TunnelId)).BytesDaily;
            var servedAtCut = loop.Successes;
            var cutAt = RequestLoop.Now;
            bed.StoreGate!.Close();
            foreach (var node in bed.Nodes)
                await Expect.Within(20.Seconds()).That($"{node.Name} ready without its store", async () =>
                    await ReadyzAsync(node, bed) is (200, var body) && body.Contains("store does not answer on any node", StringComparison.Ordinal));
            var refused = await bed.CliAsync("token", "create", "--hostname", "during-outage.example.com");
            Assert.True(refused.Exit == 3, refused.ToString());
            Assert.Contains("the store does not answer", refused.Errors);
            var waited = Outage - (RequestLoop.Now - cutAt);
            if (waited > TimeSpan.Zero) await Task.Delay(waited);
            Assert.True(loop.Successes > 0);
            Assert.True(loop.LongestGapSince(cutAt) < TimeSpan.FromSeconds(3), $"visitors waited {loop.LongestGapSince(cutAt)} during the outage");
            Assert.False(loop.Failures.Any(f => f.At >= cutAt),
                $"cut at {cutAt}; failures: {string.Join("; ", loop.Failures.Take(5).Select(f => $"{f.At}: {f.Error}"))}");

            // The visitors of the outage are kept by the nodes' traffic recorders and written once the store is back:
            // the loop stops first so that only they (and the last seconds before the cut) can make up the difference.
            await loop.DisposeAsync();
            Assert.Empty(loop.Failures);
            var servedInOutage = loop.Successes - servedAtCut;
            bed.StoreGate.Open();
            await Expect.Within(30.Seconds()).That("the outage's visitors counted (each request and answer well over 100 bytes)",
                () => bed.TunnelAsync(agent.TunnelId), t => t.BytesDaily >= bytesAtCut + servedInOutage * 100L);

            await using var after = RequestLoop.Start(ClusterTestbed.BalancerHost, bed.HttpPort, TrafficFixture.AppDomain, workers: 2,
                timeout: TimeSpan.FromSeconds(5));
            await Expect.Within(60.Seconds()).That("a change accepted again", async () =>
                (await bed.CliAsync("token", "create", "--hostname", "after-outage.example.com")).Exit == 0);
            foreach (var node in bed.Nodes)
                await Expect.Within(20.Seconds()).That($"{node.Name} plainly ready", async () => await ReadyzAsync(node, bed) is (200, "ready"));
            Assert.Contains("after-outage.example.com", (await bed.CliAsync("token", "ls")).ExpectExit(0).Output);
            Assert.True(after.Successes > 0);
            Assert.Empty(after.Failures);
        });
    }

    private static async Task<(int Status, string Body)> ReadyzAsync(ClusterNode node, ClusterTestbed bed)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{node.Host}:{bed.HttpPort}/readyz");
        request.Headers.Host = ClusterTestbed.Domain;
        try
        {
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (0, ex.Message);
        }
    }
}
