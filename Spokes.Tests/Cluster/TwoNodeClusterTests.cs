using Spokes.Actors.Gateway;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>A 2-node cluster survives the loss of either node: the survivor takes the store's lease, downs the
/// other and keeps serving; the lost node restarts and rejoins. (With keep-majority the survivor of the
/// lower-address node's loss would down itself; with keep-oldest, the survivor of the oldest's.) The nodes
/// advertise an endpoint agents cannot reach, as behind a balancer that hides them: the agent still holds both,
/// through the balancer.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TwoNodeClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LosingEitherNode_TheOtherDownsItAndKeepsServing_TheLostOneRejoins()
    {
        await using var http = await HttpBackend.StartAsync();
        await using var bed = await ClusterTestbed.StartAsync(nodes: 2, hideNodes: true);
        await bed.ScenarioAsync(output, async () =>
        {
            var agent = await bed.StartAppAgentAsync("two", http.Port);
            await using var loop = RequestLoop.Start(ClusterTestbed.BalancerHost, bed.HttpPort, TrafficFixture.AppDomain, workers: 2);

            foreach (var (lost, survivor) in new[] { (bed.Nodes[0], bed.Nodes[1]), (bed.Nodes[1], bed.Nodes[0]) })
            {
                await Expect.Within(30.Seconds()).That("the tunnel on both nodes", () => bed.TunnelAsync(agent.TunnelId),
                    t => t.Online && t.Node.Split(',').Length == 2);
                await Expect.Within(15.Seconds()).That("requests succeeding", () => Task.FromResult(loop.SucceedingFor(TimeSpan.FromSeconds(1))));
                var killedAt = RequestLoop.Now;
                await lost.KillAsync();

                await Expect.Within(40.Seconds()).That($"{survivor.Name} alone in the cluster, ready", async () =>
                    (await bed.AdminAsync(new ClusterStatusRequest())) is ClusterReply reply
                    && reply.Nodes.Count == 1 && reply.Nodes[0].Address == survivor.NodeName && reply.Nodes[0].Ready);
                Assert.True(survivor.IsRunning, $"{survivor.Name} stopped after {lost.Name} was lost");
                var gap = loop.LongestGapSince(killedAt - TimeSpan.FromMilliseconds(200));
                output.WriteLine($"{lost.Name} killed: gap {gap.TotalMilliseconds:0} ms, {survivor.Name} alone");
                Assert.True(gap <= TimeSpan.FromSeconds(3), $"new visitors failed for {gap.TotalMilliseconds:0} ms");
                Assert.True(loop.SucceedingFor(TimeSpan.FromSeconds(2)));

                await lost.StartAsync();
                await Expect.Within(30.Seconds()).That("both nodes up again", async () =>
                    (await bed.AdminAsync(new ClusterStatusRequest())) is ClusterReply reply && reply.Nodes.Count(n => n.Ready) == 2);
            }
        });
    }
}
