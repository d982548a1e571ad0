using System.Net;
using System.Net.Sockets;
using System.Text;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>SOCKS settings are the cluster's: one command on one node opens the entry point on every node, a later
/// allow-list change reaches them all, and turning it off closes it everywhere — no restart.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSocksTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public Task SocksSettings_ChangedOnce_TakeEffectOnEveryNode() => cluster.Bed.ScenarioAsync(output, async () =>
    {
        var bed = cluster.Bed;
        var hosts = bed.Nodes.Select(n => n.Host).ToList();
        var port = FreePorts.One(hosts);
        var ada = cluster.Agent;
        (await bed.CliAsync("settings", "socks", "--port", port.ToString())).ExpectExit(0).ExpectOutput($"port: {port}");
        try
        {
            foreach (var node in bed.Nodes)
            {
                var address = IPAddress.Parse(node.Host);
                await Expect.Within(30.Seconds()).That($"SOCKS on {node.Name}", () => Loopback.AcceptsAsync(port, address));
                var (web, reply) = await SocksClient.ConnectAsync(port, ada.TunnelId, ada.Key, TrafficFixture.AppDomain, 80, address);
                await using (web)
                {
                    Assert.Equal((byte)0, reply);
                    await web.SendAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {TrafficFixture.AppDomain}\r\nConnection: close\r\n\r\n"));
                    using var reader = new StreamReader(web.Stream, Encoding.ASCII);
                    Assert.Contains("hello from backend", await reader.ReadToEndAsync(), StringComparison.Ordinal);
                }
                await ExpectReplyAsync(port, address, "127.0.0.1", cluster.Echo.Port, 0x02);
            }

            (await bed.CliAsync("settings", "socks", "--allow", "127.0.0.1")).ExpectExit(0).ExpectOutput("allow: 127.0.0.1/32");
            foreach (var node in bed.Nodes)
            {
                var address = IPAddress.Parse(node.Host);
                await Expect.Within(30.Seconds()).That($"the allow-list on {node.Name}", async () =>
                {
                    var (client, reply) = await SocksClient.ConnectAsync(port, ada.TunnelId, ada.Key, "127.0.0.1", cluster.Echo.Port, address);
                    await using (client)
                    {
                        if (reply != 0) return false;
                        await client.SendAsync("mesh"u8.ToArray());
                        var echoed = new byte[4];
                        await client.Stream.ReadExactlyAsync(echoed);
                        return Encoding.ASCII.GetString(echoed) == "mesh";
                    }
                });
            }
        }
        finally
        {
            (await bed.CliAsync("settings", "socks", "--port", "0", "--allow", "")).ExpectExit(0);
        }
        foreach (var node in bed.Nodes)
            await Expect.Within(30.Seconds()).That($"SOCKS closed on {node.Name}", async () => !await Loopback.AcceptsAsync(port, IPAddress.Parse(node.Host)));
    });

    private async Task ExpectReplyAsync(int port, IPAddress node, string host, int destination, byte expected)
    {
        var (client, reply) = await SocksClient.ConnectAsync(port, cluster.Agent.TunnelId, cluster.Agent.Key, host, destination, node);
        await using (client) Assert.Equal(expected, reply);
    }
}
