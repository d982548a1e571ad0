using System.Net;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>A user's monthly bandwidth cap counts what every node relayed: visitors on each node carry less than the
/// cap, together more, and then every node refuses new visitors until the cap is lifted.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterQuotaTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const string Domain = "cora.example.com";

    [Fact]
    public Task MonthlyCap_ReachedByTrafficOnSeveralNodes_EveryNodeRefuses_UntilLifted() => cluster.Bed.ScenarioAsync(output, async () =>
    {
        var bed = cluster.Bed;
        var user = "cora" + Guid.NewGuid().ToString("N")[..6];
        var cora = await bed.AddAgentAsync(user);
        try
        {
            (await cora.RunAsync("http", "add", "--domain", Domain, "--destination", "127.0.0.1", "--http", cluster.Http.Port.ToString())).ExpectExit(0);
            await cora.StartAsync();
            foreach (var node in bed.Nodes)
                await Expect.Within(30.Seconds()).That($"{Domain} served by {node.Name}", () => ServedAsync(node, 16));

            const int Cap = 200_000, PerNode = 80 * 1024;
            (await bed.CliAsync("users", "quota", "--email", user, "--monthly-bytes", Cap.ToString())).ExpectExit(0);
            foreach (var node in bed.Nodes)
                Assert.True(await ServedAsync(node, PerNode), $"{node.Name} refused a visitor below the cap");

            // Recorded by the nodes that hold the tunnel's links (each below the cap alone), summed in the store.
            foreach (var node in bed.Nodes)
                await Expect.Within(30.Seconds()).That($"{node.Name} refusing visitors over the cap", async () => !await ServedAsync(node, 16));
            var quota = (await bed.CliAsync("users", "quota", "--email", user, "--json")).ExpectExit(0);
            using (var json = System.Text.Json.JsonDocument.Parse(quota.Output))
                Assert.True(json.RootElement.GetProperty("bytesThisMonth").GetInt64() >= 3L * PerNode, quota.Output);

            (await bed.CliAsync("users", "quota", "--email", user, "--monthly-bytes", "0")).ExpectExit(0);
            foreach (var node in bed.Nodes)
                await Expect.Within(30.Seconds()).That($"{node.Name} serving again once the cap is lifted", () => ServedAsync(node, 16));
        }
        finally
        {
            await cora.KillAsync();
            await bed.CliAsync("tunnel", "shutdown", "--id", cora.TunnelId);
        }
    });

    private async Task<bool> ServedAsync(ClusterNode node, int size)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Host}:{cluster.Bed.HttpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new ByteArrayContent(new byte[size]) };
        request.Headers.Host = Domain;
        request.Headers.ConnectionClose = true;
        try
        {
            using var response = await http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
