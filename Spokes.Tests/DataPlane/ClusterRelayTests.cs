using System.Net;
using System.Net.Sockets;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>Two nodes, one cluster: a visitor may land on either; the node without a link of the agent's
/// session relays to the node that holds one, over the mutual-TLS node-to-node link. (The agent keeps one
/// node here, cluster.agentNodes 1; by default it holds both.)</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class ClusterRelayTests(ITestOutputHelper output)
{
    private const string RelayDomain = "relay.example.com";

    [Fact]
    public async Task VisitorOnNodeWithoutTheSession_IsRelayedToTheNodeHoldingIt()
    {
        await using var backend = await HttpBackend.StartAsync();
        await using var bed = await SpokesTestbed.StartAsync(agentNodes: 1);
        await bed.ScenarioAsync(output, async () =>
        {
            var peer = await bed.StartPeerAsync();
            var agent = await bed.AddAgentAsync("lee", "lee", httpsPort: peer.HttpsPort);
            (await agent.RunAsync("http", "add", "--domain", RelayDomain, "--destination", "127.0.0.1", "--http", backend.Port.ToString()))
                .ExpectExit(0);
            await agent.StartAsync();

            var tunnel = await Expect.Within(10.Seconds()).That("tunnel online on the peer", () => bed.TunnelAsync(agent.TunnelId),
                t => t.Online && t.Node == $"127.0.0.1:{peer.ClusterPort}");
            Assert.Equal($"127.0.0.1:{peer.ClusterPort}", tunnel.Node);

            // Served where the agent is, and relayed from the first node (whose route table learns the route
            // through Distributed Data).
            Assert.StartsWith("hello from backend", await GetAsync(peer.HttpPort));
            await Expect.Within(10.Seconds()).That("relayed through the first node",
                async () => (await TryGetAsync(bed.HttpPort))?.StartsWith("hello from backend", StringComparison.Ordinal) == true);
            for (var i = 0; i < 20; i++)
                Assert.StartsWith("hello from backend", await GetAsync(bed.HttpPort));
        });
    }

    private static async Task<string?> TryGetAsync(int port)
    {
        try
        {
            return await GetAsync(port);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<string> GetAsync(int port)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync($"http://{RelayDomain}/hello");
    }
}
