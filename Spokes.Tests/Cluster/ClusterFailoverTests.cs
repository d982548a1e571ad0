using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>What visitors see of a node loss in a 3-node cluster behind a balancer: traffic on every node, a
/// killed (SIGKILL) or hung (SIGSTOP) node costing under 3 s of failed new connections, streams on surviving nodes
/// intact, and the lost node back in the cluster after a restart.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan GapLimit = TimeSpan.FromSeconds(3);
    private ClusterTestbed Bed => cluster.Bed;

    [Fact]
    public Task EveryNode_ServesHttpTlsPassthroughAndTcpLeases_WhereverTheBalancerSendsTheVisitor() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        var tunnel = await cluster.OnTwoNodesAsync();
        Assert.Equal(2, tunnel.Node.Split(',').Length);

        // Round robin over three nodes: one of them holds no link and relays.
        // No failure here is allowed, a slow request on two busy cores is not one.
        await using (var loop = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, timeout: TimeSpan.FromSeconds(10)))
        {
            await Expect.Within(20.Seconds()).That("30 requests through the balancer", () => Task.FromResult(loop.Successes >= 30));
            Assert.Empty(loop.Failures);
        }
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(cluster.Tls.Certificate.Thumbprint, await PassthroughCertificateAsync(TlsBackend.Name));
            var echo = EchoStream.Open(ClusterTestbed.BalancerHost, cluster.LeasedPort, lifetime: TimeSpan.FromMilliseconds(200));
            await echo.Done;
            Assert.True(echo is { Completed: true, Corrupted: false, BytesChecked: > 0 }, echo.ToString());
        }
    });

    [Fact]
    public Task NodeHoldingTheFirstConnection_Killed_NewVisitorsWithinThreeSeconds_SurvivingStreamsIntact_NodeRejoins() =>
        Bed.ScenarioAsync(output, async () =>
        {
            await cluster.HealAsync();
            var primary = Bed.NodeNamed((await cluster.OnTwoNodesAsync()).Node.Split(',')[0]);
            await using var loop = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, workers: 4);
            var streams = Enumerable.Range(0, 6).Select(_ => EchoStream.Open(ClusterTestbed.BalancerHost, cluster.LeasedPort)).ToList();
            await Expect.Within(15.Seconds()).That("requests succeeding", () => Task.FromResult(loop.SucceedingFor(TimeSpan.FromSeconds(1))));

            var killedAt = RequestLoop.Now;
            await primary.KillAsync();
            await Expect.Within(20.Seconds()).That("requests succeeding again", () => Task.FromResult(
                RequestLoop.Now - killedAt > TimeSpan.FromSeconds(3) && loop.SucceedingFor(TimeSpan.FromSeconds(2))));
            await Task.WhenAll(streams.Select(s => s.StopAsync()));

            var gap = loop.LongestGapSince(killedAt - TimeSpan.FromMilliseconds(200));
            output.WriteLine($"gap after SIGKILL of {primary.Name}: {gap.TotalMilliseconds:0} ms; streams: {string.Join("; ", streams)}");
            Assert.True(gap <= GapLimit, $"new visitors failed for {gap.TotalMilliseconds:0} ms after the kill");
            Assert.All(streams, s => Assert.False(s.Corrupted, s.ToString()));
            Assert.Contains(streams, s => s.BrokenBy is null && s.BytesChecked > 0);

            // The agent replaces the lost node with the third one; the killed node starts again and rejoins.
            var after = await cluster.OnTwoNodesAsync();
            Assert.DoesNotContain(primary.NodeName, after.Node.Split(','));
            await primary.StartAsync();
            await cluster.HealAsync();
        });

    [Fact]
    public Task NodeHung_SIGSTOP_NewVisitorsWithinThreeSeconds_DownedNodeExitsAndRestartsCleanly() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        var linked = Bed.NodeNamed((await cluster.OnTwoNodesAsync()).Node.Split(',')[1]);
        await using var loop = RequestLoop.Start(ClusterTestbed.BalancerHost, Bed.HttpPort, TrafficFixture.AppDomain, workers: 4);
        await Expect.Within(15.Seconds()).That("requests succeeding", () => Task.FromResult(loop.SucceedingFor(TimeSpan.FromSeconds(1))));

        var frozenAt = RequestLoop.Now;
        linked.Freeze();
        await Expect.Within(20.Seconds()).That("requests succeeding again", () => Task.FromResult(
            RequestLoop.Now - frozenAt > TimeSpan.FromSeconds(4) && loop.SucceedingFor(TimeSpan.FromSeconds(2))));
        var gap = loop.LongestGapSince(frozenAt - TimeSpan.FromMilliseconds(200));
        output.WriteLine($"gap after SIGSTOP of {linked.Name}: {gap.TotalMilliseconds:0} ms");
        Assert.True(gap <= GapLimit, $"new visitors failed for {gap.TotalMilliseconds:0} ms after the node hung");

        // The others down it; thawed, it learns that and stops (exit 1) instead of serving as a second cluster.
        await Expect.Within(30.Seconds()).That("the hung node removed from the cluster", async () =>
            (await Bed.AdminAsync(new Spokes.Actors.Gateway.ClusterStatusRequest())) is Spokes.Actors.Gateway.ClusterReply reply
            && reply.Nodes.All(n => n.Address != linked.NodeName));
        linked.Thaw();
        Assert.Equal(1, await linked.Process!.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(linked.Process.Lines, l => l.Contains("was removed from the cluster", StringComparison.Ordinal));
        await linked.StartAsync();
        await cluster.HealAsync();
    });

    private async Task<string> PassthroughCertificateAsync(string serverName)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(ClusterTestbed.BalancerHost), Bed.HttpsPort);
        string? seen = null;
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : System.Security.Cryptography.X509Certificates.X509CertificateLoader
                .LoadCertificate(certificate.GetRawCertData()).Thumbprint;
            return true;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName }, timeout.Token);
        return seen!;
    }
}
