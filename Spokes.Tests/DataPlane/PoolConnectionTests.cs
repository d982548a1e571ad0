using Spokes.Agent.Config;
using Spokes.Agent.Session;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tunnel.Control;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>A further pool connection as the node serves it (the agent's own dialer and messages, no agent process).</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class PoolConnectionTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task FurtherConnection_AfterItsWelcome_BothSidesEndStream1_SoAnIdleConnectionHasNoOpenStream() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var pia = await bed.Bed.AddAgentAsync("pia", "pia");
        var config = new ConfigStore(pia.ConfigPath).Load();
        var dialer = new NodeDialer(config);
        var runtime = new AgentRuntime(new ConfigStore(pia.ConfigPath), new AgentLog(TextWriter.Null));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await using var first = await dialer.DialAsync(timeout.Token);
        await using var control = new ControlChannel(await first.OpenStreamAsync(cancellationToken: timeout.Token));
        var welcome = await control.HelloAsync(runtime.NewHello(ConnectionRole.Control, null) with { Key = config.Key! }, ControlProtocol.HandshakeTimeout, timeout.Token);
        Assert.True(welcome.Control);

        await using var further = await dialer.DialAsync(timeout.Token);
        var stream1 = new ControlChannel(await further.OpenStreamAsync(cancellationToken: timeout.Token));
        var joined = await stream1.HelloAsync(runtime.NewHello(ConnectionRole.Data, welcome) with { Key = config.Key! }, ControlProtocol.HandshakeTimeout, timeout.Token);
        Assert.False(joined.Control);
        Assert.Null(await stream1.ReceiveAsync(timeout.Token));
        await stream1.DisposeAsync();

        await Expect.Within(10.Seconds()).That("no open stream on the further connection", () => Task.FromResult(further.OpenStreams == 0));
        Assert.False(further.IsClosed);
    });
}
