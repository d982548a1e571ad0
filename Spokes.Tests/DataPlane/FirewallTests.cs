using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using Spokes.Tests.DataPlane.Testbed;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// Firewall lists per rule, end to end: the real agent's commands, the node's edge refusing visitors before a byte
/// reaches the agent, pushes from <c>spokes tunnel rules</c>. Visitors come from different loopback addresses
/// (127.0.0.2, .3, .4 bound as the source) to the node on 127.0.0.1.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class FirewallTests(TrafficFixture bed, ITestOutputHelper output)
{
    private const string Domain = "guarded-fw.example.com";
    private static readonly IPAddress Two = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Three = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Four = IPAddress.Parse("127.0.0.4");

    [Fact]
    public Task HttpRule_AllowDropRm_EnforcedAtTheEdgeForNewConnections_AndAfterTheAgentReconnects() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var quinn = await bed.Bed.AddAgentAsync("quinn", "quinn");
        (await quinn.RunAsync("http", "add", "--domain", Domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString())).ExpectExit(0);
        await quinn.StartAsync();
        Assert.True(await GetAsync(Three), "no list: everyone gets through");

        (await quinn.RunAsync("http", "firewall", "allow", "--domain", Domain, "--network", "127.0.0.2")).ExpectExit(0)
            .ExpectOutput("127.0.0.2/32 allowed for " + Domain);
        Assert.True(await GetAsync(Two));
        Assert.False(await GetAsync(Three), "an allow list admits only its networks");

        // Dropping the allowed network takes it off the allow list: open to all but it.
        (await quinn.RunAsync("http", "firewall", "drop", "--domain", Domain, "--network", "127.0.0.2/32")).ExpectExit(0);
        Assert.False(await GetAsync(Two));
        Assert.True(await GetAsync(Three));

        var listed = (await quinn.RunAsync("http", "ls", "--json")).ExpectExit(0);
        using (var json = JsonDocument.Parse(listed.Output))
        {
            var rule = json.RootElement.EnumerateArray().Single(r => r.GetProperty("domain").GetString() == Domain);
            Assert.Equal("127.0.0.2/32", rule.GetProperty("drop")[0].GetString());
        }

        // Saved in the agent's config and sent again on its next session.
        await quinn.KillAsync();
        await quinn.StartAsync();
        Assert.False(await GetAsync(Two), "lists come back with the agent's rules");
        Assert.True(await GetAsync(Three));

        (await quinn.RunAsync("http", "firewall", "rm", "--domain", Domain, "--network", "127.0.0.2/32")).ExpectExit(0);
        Assert.True(await GetAsync(Two));
        (await quinn.RunAsync("http", "firewall", "rm", "--domain", Domain, "--network", "127.0.0.2/32")).ExpectExit(4)
            .ExpectError("in neither list");
        (await quinn.RunAsync("http", "rm", "--domain", Domain)).ExpectExit(0);
    });

    [Fact]
    public Task TcpPort_DropThenPushedAllowList_EnforcedBeforeAByteReachesTheService() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var petr = await bed.Bed.AddAgentAsync("petr", "petr");
        await petr.StartAsync();
        var port = int.Parse((await petr.RunAsync("tcp", "allocate")).ExpectExit(0).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        (await petr.RunAsync("tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1",
            "--dstport", bed.TcpBackend.Port.ToString())).ExpectExit(0);

        (await petr.RunAsync("tcp", "firewall", "drop", "--port", port.ToString(), "--network", "127.0.0.3/32")).ExpectExit(0);
        Assert.Equal("", await EchoAsync(Three, port));
        Assert.Equal("ping", await EchoAsync(Two, port));
        // A forward changes where the port goes, not who may reach it.
        (await petr.RunAsync("tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1",
            "--dstport", bed.TcpBackend.Port.ToString())).ExpectExit(0);
        Assert.Equal("", await EchoAsync(Three, port));

        // The administrator replaces the lists from the CLI; the agent saves what was pushed.
        (await bed.Bed.CliAsync("tunnel", "rules", "--id", petr.TunnelId, "--tcp-firewall", port.ToString(), "--allow", "127.0.0.4/32",
            "--drop", "")).ExpectExit(0).ExpectOutput("allow 127.0.0.4/32");
        Assert.Equal("", await EchoAsync(Two, port));
        Assert.Equal("", await EchoAsync(Three, port));
        Assert.Equal("ping", await EchoAsync(Four, port));
        var ports = (await petr.RunAsync("tcp", "ls", "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(ports.Output);
        var rule = json.RootElement.EnumerateArray().Single(r => r.GetProperty("port").GetInt32() == port);
        Assert.Equal("127.0.0.4/32", rule.GetProperty("allow")[0].GetString());
        Assert.False(rule.TryGetProperty("drop", out var drop) && drop.ValueKind == JsonValueKind.Array && drop.GetArrayLength() > 0);

        (await petr.RunAsync("tcp", "release", "--port", port.ToString())).ExpectExit(0);
    });

    [Fact]
    public Task Redirect_PlainHttpGets301ToTheSameUrlOverHttps_AtTheEdge_AfterTheFirewall() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string secure = "secure-fw.example.com";
        var rosa = await bed.Bed.AddAgentAsync("rosa", "rosa");
        (await rosa.RunAsync("http", "add", "--domain", secure, "--destination", "127.0.0.1", "--tls", bed.TlsBackend.Port.ToString(),
            "--redirect")).ExpectExit(0);
        await rosa.StartAsync();

        var answer = await RequestAsync(Two, secure, "/shop/cart?item=7");
        Assert.StartsWith("HTTP/1.1 301 ", answer);
        Assert.Contains("\r\nLocation: https://" + secure + "/shop/cart?item=7\r\n", answer);
        (await rosa.RunAsync("http", "ls")).ExpectExit(0).ExpectOutput("redirect");

        (await rosa.RunAsync("http", "firewall", "drop", "--domain", secure, "--network", "127.0.0.3")).ExpectExit(0);
        Assert.Equal("", await RequestAsync(Three, secure, "/"));
        Assert.StartsWith("HTTP/1.1 301 ", await RequestAsync(Two, secure, "/"));
    });

    [Theory]
    [InlineData("10.1.2.3/8", "did you mean 10.0.0.0/8?")]
    [InlineData("not-a-network", "is not a network")]
    [InlineData("10.0.0.0/33", "bad prefix length")]
    public Task BadNetwork_ExitsTwoWithOneLine_NothingChanges(string network, string error) => bed.Bed.ScenarioAsync(output, async () =>
    {
        var before = File.ReadAllText(bed.Agent.ConfigPath);

        (await bed.Agent.RunAsync("http", "firewall", "allow", "--domain", TrafficFixture.AppDomain, "--network", network)).ExpectExit(2).ExpectError(error);
        (await bed.Bed.CliAsync("tunnel", "rules", "--id", bed.Agent.TunnelId, "--http-firewall", TrafficFixture.AppDomain,
            "--allow", network)).ExpectExit(2).ExpectError(error);

        Assert.Equal(before, File.ReadAllText(bed.Agent.ConfigPath));
    });

    /// <summary>A GET from <paramref name="source"/>; true when the backend answered, false when the edge closed the connection.</summary>
    private async Task<bool> GetAsync(IPAddress source)
    {
        var answer = await RequestAsync(source, Domain, "/hello");
        Assert.True(answer.Length == 0 || answer.Contains("hello from backend", StringComparison.Ordinal), answer);
        return answer.Length > 0;
    }

    /// <summary>One plain-HTTP request from <paramref name="source"/> to the node's HTTP port; the whole answer, "" when closed unanswered.</summary>
    private async Task<string> RequestAsync(IPAddress source, string host, string target)
    {
        using var socket = await ConnectFromAsync(source, bed.Bed.HttpPort);
        await Visitor.SendAllAsync(socket, Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        return Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(socket));
    }

    /// <summary>"ping" through the leased port from <paramref name="source"/>: the echo, or "" when the edge refused.</summary>
    private static async Task<string> EchoAsync(IPAddress source, int port)
    {
        using var socket = await ConnectFromAsync(source, port);
        try
        {
            await Visitor.SendAllAsync(socket, "ping"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            return "";
        }
        return Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(socket));
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }
}
