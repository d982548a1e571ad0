using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;

namespace Spokes.Tests.Cluster;

/// <summary>
/// Three nodes on 127.0.0.1/.2/.3 with PostgreSQL and HAProxy in front, agent "ada" (configured with the
/// balancer's address) with app.example.com → an HTTP backend, tls.example.com → a TLS backend (passthrough) and
/// a leased port → a TCP echo service. Tests break nodes and leave the cluster whole again for the next one
/// (<see cref="HealAsync"/>).
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    internal ClusterTestbed Bed { get; private set; } = null!;
    internal TestAgent Agent { get; private set; } = null!;
    internal HttpBackend Http { get; private set; } = null!;
    internal TlsBackend Tls { get; private set; } = null!;
    internal StreamingEchoBackend Echo { get; private set; } = null!;
    public int LeasedPort { get; private set; }

    public async Task InitializeAsync()
    {
        Http = await HttpBackend.StartAsync();
        Tls = TlsBackend.Start();
        Echo = new StreamingEchoBackend();
        Bed = await ClusterTestbed.StartAsync();
        try
        {
            Agent = await Bed.AddAgentAsync("ada");
            (await Agent.RunAsync("http", "add", "--domain", TrafficFixture.AppDomain, "--destination", "127.0.0.1", "--http", Http.Port.ToString()))
                .ExpectExit(0);
            (await Agent.RunAsync("http", "add", "--domain", TlsBackend.Name, "--destination", "127.0.0.1", "--tls", Tls.Port.ToString()))
                .ExpectExit(0);
            await Agent.StartAsync();
            LeasedPort = int.Parse((await Agent.RunAsync("tcp", "allocate")).ExpectExit(0).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            (await Agent.RunAsync("tcp", "forward", "--port", LeasedPort.ToString(), "--destination", "127.0.0.1", "--dstport", Echo.Port.ToString()))
                .ExpectExit(0);
            await OnTwoNodesAsync();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"the cluster bed did not come up: {ex.Message}\n--- processes ---\n{Bed.Log.Since(0, 2000)}", ex);
        }
    }

    /// <summary>Waits until the agent's tunnel has links on two distinct nodes.</summary>
    internal Task<Spokes.Actors.Gateway.TunnelDto> OnTwoNodesAsync() =>
        Expect.Within(30.Seconds()).That("the tunnel on two nodes", () => Bed.TunnelAsync(Agent.TunnelId),
            t => t.Online && t.Node.Split(',').Length == 2);

    /// <summary>Restarts any node that is not running, and waits until the balancer sees it ready and the agent
    /// is on two nodes again.</summary>
    internal async Task HealAsync()
    {
        foreach (var node in Bed.Nodes.Where(n => !n.IsRunning))
            await node.StartAsync();
        await Expect.Within(30.Seconds()).That("every node ready", async () =>
            (await Bed.AdminAsync(new Spokes.Actors.Gateway.ClusterStatusRequest())) is Spokes.Actors.Gateway.ClusterReply reply
            && reply.Nodes.Count(n => n.Ready && n.Status == "up") == Bed.Nodes.Count);
        if (Agent.Process is null or { HasExited: true }) await Agent.StartAsync();
        await OnTwoNodesAsync();
    }

    public async Task DisposeAsync()
    {
        if (Bed is not null) await Bed.DisposeAsync();
        await Http.DisposeAsync();
        await Tls.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>The 3-node cluster tests run one at a time on one cluster (many processes on two cores).</summary>
    public const string Name = "Cluster";
}
