using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// <c>spokes-agent map</c> between two real agents: a second agent maps local ports to jack's leased port and HTTP
/// service through its own tunnel connection (no SOCKS port open), bytes checked by hash; a destination the node's
/// SOCKS policy refuses is closed; maps change on the running agent and come back with <c>start</c>.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class PortMapTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task Map_BetweenTwoAgents_BytesByHash_PolicyRefusal_AtRunTimeAndOnStart() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var name = "mesh-" + Guid.NewGuid().ToString("N")[..6];
        var mesh = await bed.Bed.AddAgentAsync(name, name);
        await mesh.StartAsync();
        var leasePort = FreePorts.One();
        var webPort = FreePorts.One();
        var refusedPort = FreePorts.One();
        (await mesh.RunAsync("map", "--listen", $"127.0.0.1:{leasePort}", "--to", $"{SpokesTestbed.Domain}:{bed.LeasedPort}")).ExpectExit(0)
            .ExpectOutput($"127.0.0.1:{leasePort} maps to {SpokesTestbed.Domain}:{bed.LeasedPort}");
        (await mesh.RunAsync("map", "--listen", $"127.0.0.1:{webPort}", "--to", $"{TrafficFixture.AppDomain}:80")).ExpectExit(0);
        (await mesh.RunAsync("map", "--listen", $"127.0.0.1:{refusedPort}", "--to", $"127.0.0.1:{bed.TcpBackend.Port}")).ExpectExit(0);
        (await mesh.RunAsync("map", "--listen", $"127.0.0.1:{leasePort}", "--to", "nope")).ExpectExit(2).ExpectError("not a host and port");
        (await mesh.RunAsync("map", "--listen", $"127.0.0.1:{bed.Bed.HttpPort}", "--to", "x.example.com:80")).ExpectExit(1)
            .ExpectError("cannot listen");

        var listed = (await mesh.RunAsync("map", "ls", "--json")).ExpectExit(0);
        using (var json = JsonDocument.Parse(listed.Output))
            Assert.Equal(3, json.RootElement.GetArrayLength());

        await ExpectHashEchoAsync(leasePort, 1024 * 1024);
        Assert.Contains("hello from backend", await HttpOverAsync(webPort), StringComparison.Ordinal);
        Assert.Equal("", await EchoAsync(refusedPort, "never")); // 127.0.0.1 is not in socks.allow: closed, nothing relayed
        await Expect.Within(10.Seconds()).That("the refusal in the agent's log", () => Task.FromResult(
            bed.Bed.Log.Since(0).Contains($"map 127.0.0.1:{refusedPort} → 127.0.0.1:{bed.TcpBackend.Port}: refused by the node (not allowed", StringComparison.Ordinal)));

        // Saved: the maps listen again when the agent starts.
        await mesh.KillAsync();
        await mesh.StartAsync();
        await Expect.Within(20.Seconds()).That("the map listening after start", () => Loopback.AcceptsAsync(leasePort));
        await ExpectHashEchoAsync(leasePort, 256 * 1024);

        (await mesh.RunAsync("map", "rm", "--listen", $"127.0.0.1:{leasePort}")).ExpectExit(0).ExpectOutput("removed");
        Assert.False(await Loopback.AcceptsAsync(leasePort), "a removed map stops listening at once");
        (await mesh.RunAsync("map", "rm", "--listen", $"127.0.0.1:{leasePort}")).ExpectExit(4).ExpectError("no port map listens");
        (await mesh.RunAsync("map", "rm", "--listen", $"127.0.0.1:{webPort}")).ExpectExit(0);
        (await mesh.RunAsync("map", "rm", "--listen", $"127.0.0.1:{refusedPort}")).ExpectExit(0);
        await mesh.KillAsync();
    });

    private static async Task ExpectHashEchoAsync(int port, int size)
    {
        var payload = RandomNumberGenerator.GetBytes(size);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var send = Task.Run(async () =>
        {
            await stream.WriteAsync(payload);
            tcp.Client.Shutdown(SocketShutdown.Send);
        });
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(received, timeout.Token);
        await send;
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)), Convert.ToHexString(SHA256.HashData(received.ToArray())));
    }

    private static async Task<string> HttpOverAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {TrafficFixture.AppDomain}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    private static async Task<string> EchoAsync(int port, string text)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(text));
            tcp.Client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
