using System.Diagnostics;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>A bed of its own for killing things: agent rick with app.example.com → the HTTP backend.</summary>
public sealed class ChaosFixture : IAsyncLifetime
{
    internal SpokesTestbed Bed { get; private set; } = null!;

    internal TestAgent Agent { get; private set; } = null!;

    internal HttpBackend Backend { get; private set; } = null!;

    internal Visitor Visitor { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backend = await HttpBackend.StartAsync();
        Bed = await SpokesTestbed.StartAsync();
        Visitor = new Visitor(Bed);
        try
        {
            Agent = await Bed.AddAgentAsync("rick", "rick");
            (await Agent.RunAsync("http", "add", "--domain", TrafficFixture.AppDomain, "--destination", "127.0.0.1", "--http", Backend.Port.ToString()))
                .ExpectExit(0);
            await Agent.StartAsync();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"the chaos bed did not come up: {ex.Message}\n--- processes ---\n{Bed.Log.Since(0)}", ex);
        }
    }

    public async Task DisposeAsync()
    {
        if (Bed is not null)
        {
            await Bed.DisposeAsync();
        }

        await Backend.DisposeAsync();
    }
}

/// <summary>Kill -9 the agent, then the node: the tunnel goes offline at once and comes back without an operator.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class ChaosTests(ChaosFixture bed, ITestOutputHelper output) : IClassFixture<ChaosFixture>
{
    [Fact]
    public Task AgentKilled_OfflineWithinTwoSeconds_RestartedOnlineAndServing() => bed.Bed.ScenarioAsync(output, async () =>
    {
        await TrafficFlowsAsync();

        var clock = Stopwatch.StartNew();
        await bed.Agent.KillAsync();
        await Expect.Within(2.Seconds()).That("tunnel offline", () => bed.Bed.TunnelAsync(bed.Agent.TunnelId), t => !t.Online);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"offline only after {clock.Elapsed}");
        var listed = (await bed.Bed.CliAsync("tunnel", "ls", "--json")).ExpectExit(0);
        using (var json = JsonDocument.Parse(listed.Output))
        {
            Assert.False(json.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == bed.Agent.TunnelId)
                .GetProperty("online").GetBoolean(), listed.Output);
        }

        await bed.Agent.StartAsync();
        await Expect.Within(5.Seconds()).That("tunnel online", () => bed.Bed.TunnelAsync(bed.Agent.TunnelId), t => t.Online);
        await TrafficFlowsAsync();
    });

    [Fact]
    public Task NodeRestarted_OnSameDataAndPorts_AgentReconnectsByItselfAndTrafficFlows() => bed.Bed.ScenarioAsync(output, async () =>
    {
        await TrafficFlowsAsync();
        var agent = bed.Agent.Process!;
        int connections = agent.Lines.Count(line => line.StartsWith("connected to ", StringComparison.Ordinal));

        await bed.Bed.KillNodeAsync();
        await agent.WaitForLineAsync(line => line.Contains("retrying in", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        await bed.Bed.StartNodeAsync();
        await bed.Agent.WaitConnectedAsync(agent, skip: connections, TimeSpan.FromSeconds(45));

        Assert.False(agent.HasExited);
        await TrafficFlowsAsync();
        await Expect.Within(5.Seconds()).That("tunnel online", () => bed.Bed.TunnelAsync(bed.Agent.TunnelId), t => t.Online);
    });

    /// <summary>After a (re)connect the node publishes the route; a request within a few seconds must get through.</summary>
    private async Task TrafficFlowsAsync()
    {
        if (bed.Agent.Process is null or { HasExited: true })
        {
            await bed.Agent.StartAsync();
        }

        using var http = bed.Visitor.Http(TrafficFixture.AppDomain);
        await Expect.Within(5.Seconds()).That("a request through the tunnel", async () =>
            (await http.GetStringAsync("hello")).StartsWith("hello from backend", StringComparison.Ordinal));
    }
}
