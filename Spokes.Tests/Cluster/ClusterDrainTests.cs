using Spokes.Actors.Gateway;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>A rolling restart of all three nodes — two drained with <c>spokes cluster drain</c>, one with SIGTERM — under
/// constant HTTP (new connections and keep-alive) and TCP load through the balancer: no request fails and no TCP
/// stream that started before a drain and ended within its grace period breaks.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterDrainTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private ClusterTestbed Bed => cluster.Bed;

    [Fact]
    public Task RollingRestart_UnderHttpAndTcpLoad_NoFailedRequest_NoBrokenStream() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        // A drain must fail no request; a slow one (two busy cores starting a node's runtime stall everything for a
        // second or two) is not a failed one, so requests get the patience of a browser, not the failover tests' 1 s.
        var patience = TimeSpan.FromSeconds(10);
        await using var fresh = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, workers: 2,
            timeout: patience);
        await using var keepAlive = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, keepAlive: true,
            workers: 4, pause: TimeSpan.FromMilliseconds(300), timeout: patience);
        var streams = new List<EchoStream>();
        using var stop = new CancellationTokenSource();
        // Short TCP conversations (2 s each, well within the 10 s grace period), one after another.
        var tcp = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var stream = EchoStream.Open(ClusterTestbed.BalancerHost, cluster.LeasedPort, TimeSpan.FromSeconds(2));
                lock (streams) streams.Add(stream);
                await Task.Delay(300);
            }
        });
        await Expect.Within(15.Seconds()).That("load flowing", () => Task.FromResult(fresh.SucceedingFor(TimeSpan.FromSeconds(1))));

        foreach (var (node, i) in Bed.Nodes.Select((n, i) => (n, i)))
        {
            var began = RequestLoop.Now;
            if (i == 1)
            {
                Assert.Equal(0, await node.TerminateAsync(TimeSpan.FromSeconds(Bed.DrainSeconds + 30)));
            }
            else
            {
                (await Bed.CliAsync("cluster", "drain", "--node", node.NodeName)).ExpectExit(0).ExpectOutput("is draining");
                Assert.Equal(0, await node.Process!.WaitForExitAsync(TimeSpan.FromSeconds(Bed.DrainSeconds + 30)));
            }
            var done = Assert.Single(node.Process!.Lines, l => l.Contains("drain: done", StringComparison.Ordinal));
            output.WriteLine($"{node.Name}: {done[done.IndexOf("drain:", StringComparison.Ordinal)..]}; exited {(RequestLoop.Now - began).TotalSeconds:0.0} s after the drain was asked");
            await node.StartAsync();
            await cluster.HealAsync();
        }

        await stop.CancelAsync();
        await tcp;
        List<EchoStream> all;
        lock (streams) all = [.. streams];
        await Task.WhenAll(all.Select(s => s.Done));
        output.WriteLine($"{fresh.Successes} + {keepAlive.Successes} requests, {all.Count} TCP streams");
        Assert.Empty(fresh.Failures);
        Assert.Empty(keepAlive.Failures);
        Assert.All(all, s => Assert.True(s is { Completed: true, Corrupted: false }, s.ToString()));
        Assert.True(fresh.Successes > 100 && all.Count > 20);
    });

    [Fact]
    public Task ClusterStatus_EveryNodeReady_WithItsAgentsTunnelsAndLoad() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        var tunnel = await cluster.OnTwoNodesAsync();
        int served;
        await using (var load = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, workers: 2))
        {
            await Expect.Within(20.Seconds()).That("visitors counted", async () =>
                (await Bed.AdminAsync(new ClusterStatusRequest())) is ClusterReply reply && reply.Nodes.Sum(n => n.VisitorsPerSecond) > 0);
            served = load.Successes;
        }
        // The tunnel's traffic graph: every node answers, and the visitors (relayed or not) are in the sum once.
        await Expect.Within(40.Seconds()).That("the visitors in the tunnel's traffic, summed over the nodes", async () =>
            await Bed.AdminAsync(new TrafficHistoryRequest(tunnel.Id, Day: false)) is TrafficHistoryReply t
            && t is { Nodes: 3, NodesAnswered: 3 } && t.Points.Sum(p => p.Connections) >= served && t.Points.Sum(p => p.BytesOut) > 0);

        var status = (await Bed.CliAsync("cluster", "status", "--json")).ExpectExit(0);
        using var json = System.Text.Json.JsonDocument.Parse(status.Output);
        var nodes = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, n => Assert.True(n.GetProperty("ready").GetBoolean(), n.ToString()));
        foreach (var name in tunnel.Node.Split(','))
        {
            var node = nodes.Single(n => n.GetProperty("address").GetString() == name);
            Assert.True(node.GetProperty("agentConnections").GetInt32() >= 1, node.ToString());
            Assert.True(node.GetProperty("tunnels").GetInt32() >= 1, node.ToString());
        }
        var table = (await Bed.CliAsync("cluster", "status")).ExpectExit(0);
        Assert.Contains("Visitors/s", table.Output);
        Assert.Contains("ready", table.Output);
    });
}
