using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// The upstream monitor end to end: turned on at run time (every second), a real agent's HTTP rule and leased port
/// seen online; the lease's backend stopped and started again, each change seen in <c>spokes tunnel rules</c>,
/// <c>tunnel ls</c>, <c>spokes-agent status</c> and the audit trail within a few intervals; turned off, the states go.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class MonitorTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task Monitor_BackendStoppedAndStarted_SeenInCliStatusAndAudit() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var name = "mon-" + Guid.NewGuid().ToString("N")[..6];
        var domain = name + ".example.com";
        var agent = await bed.Bed.AddAgentAsync(name, name);
        (await agent.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString())).ExpectExit(0);
        await agent.StartAsync();
        var backendPort = FreePorts.One();
        var backend = Listen(backendPort);
        var port = int.Parse((await agent.RunAsync("tcp", "allocate")).ExpectExit(0).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        (await agent.RunAsync("tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1", "--dstport", backendPort.ToString())).ExpectExit(0);

        (await bed.Bed.CliAsync("settings", "tunnel", "--monitor", "maybe")).ExpectExit(2).ExpectError("on or off");
        (await bed.Bed.CliAsync("settings", "tunnel", "--monitor-interval", "0")).ExpectExit(2).ExpectError("between 1 and 86400");
        (await bed.Bed.CliAsync("settings", "tunnel", "--monitor", "on", "--monitor-interval", "1")).ExpectExit(0)
            .ExpectOutput("monitor: on").ExpectOutput("monitorInterval: 1 s");
        var lease = $"tcp:{port}";
        try
        {
            await ExpectServiceAsync(agent, lease, online: true);
            await ExpectServiceAsync(agent, "http:" + domain, online: true);

            backend.Stop();
            await ExpectServiceAsync(agent, lease, online: false);
            (await bed.Bed.CliAsync("tunnel", "ls")).ExpectExit(0).ExpectOutput("unavailable: " + lease);
            (await bed.Bed.CliAsync("tunnel", "rules", "--id", agent.TunnelId)).ExpectExit(0).ExpectOutput("unavailable since");
            (await agent.RunAsync("status")).ExpectExit(0).ExpectOutput(lease).ExpectOutput("unavailable since");
            (await bed.Bed.CliAsync("audit", "ls")).ExpectExit(0).ExpectOutput($"service {lease} unavailable");

            backend = Listen(backendPort);
            await ExpectServiceAsync(agent, lease, online: true);
            (await bed.Bed.CliAsync("audit", "ls")).ExpectExit(0).ExpectOutput($"service {lease} online");
        }
        finally
        {
            backend.Stop();
            (await bed.Bed.CliAsync("settings", "tunnel", "--monitor", "off", "--monitor-interval", "60")).ExpectExit(0).ExpectOutput("monitor: off");
        }
        await Expect.Within(20.Seconds()).That("the states gone once monitoring is off", async () => (await ServicesAsync(agent)).Count == 0);
        await agent.KillAsync();
    });

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    /// <summary>Within a few intervals (generous on two busy cores): the rule's state as <c>tunnel rules --json</c> shows it.</summary>
    private async Task ExpectServiceAsync(TestAgent agent, string rule, bool online) =>
        await Expect.Within(20.Seconds()).That($"{rule} {(online ? "online" : "unavailable")}", () => ServicesAsync(agent),
            services => services.TryGetValue(rule, out var state) && state == online);

    private async Task<Dictionary<string, bool>> ServicesAsync(TestAgent agent)
    {
        var listed = (await bed.Bed.CliAsync("tunnel", "rules", "--id", agent.TunnelId, "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(listed.Output);
        if (!json.RootElement.TryGetProperty("services", out var services) || services.ValueKind != JsonValueKind.Object) return [];
        return services.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("online").GetBoolean());
    }
}
