using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// <c>limits</c> end to end on a node of its own: one visitor address cannot hold more than its share of a
/// tunnel, others still get in, and a quiet leased-port connection is closed while a talking one lives on.
/// Visitors come from 127.0.0.2–.5 to the node on 127.0.0.1.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class VisitorLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int PerTunnel = 3;
    private const int IdleSeconds = 2;
    private readonly StreamingEchoBackend _echo = new();
    private SpokesTestbed? _bed;
    private int _port;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_bed is not null) await _bed.DisposeAsync();
        await _echo.DisposeAsync();
    }

    /// <summary>A node with <paramref name="limits"/> and agent "vera" forwarding a leased port to the streaming echo.</summary>
    private async Task<SpokesTestbed> StartAsync(object limits)
    {
        _bed = await SpokesTestbed.StartAsync(limits: limits);
        var vera = await _bed.AddAgentAsync("vera", "vera");
        await vera.StartAsync();
        _port = int.Parse((await vera.RunAsync("tcp", "allocate")).ExpectExit(0).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        (await vera.RunAsync("tcp", "forward", "--port", _port.ToString(), "--destination", "127.0.0.1",
            "--dstport", _echo.Port.ToString())).ExpectExit(0);
        return _bed;
    }

    [Fact]
    public async Task OneAddress_HoldsAtMostItsLimit_OthersStillGetIn_AndAClosedConnectionFreesItsPlace()
    {
        var bed = await StartAsync(new { connectionsPerAddressPerTunnel = PerTunnel, connectionsPerAddress = 100 });
        await bed.ScenarioAsync(output, async () =>
        {
            var two = IPAddress.Parse("127.0.0.2");
            var held = new List<Socket>();
            for (var i = 0; i < PerTunnel; i++)
            {
                var socket = await ConnectFromAsync(two);
                Assert.Equal($"hello {i}", await TalkAsync(socket, $"hello {i}"));
                held.Add(socket);
            }

            using (var over = await ConnectFromAsync(two))
                Assert.Equal("", await TalkAsync(over, "one too many"));
            using (var other = await ConnectFromAsync(IPAddress.Parse("127.0.0.3")))
                Assert.Equal("another address", await TalkAsync(other, "another address"));
            // The node's log reaches the test through its output pipe: wait for the line rather than read it at once.
            await Expect.Within(10.Seconds()).That("the refusal logged", () =>
                Task.FromResult(bed.Log.Since(0).Contains("visitor 127.0.0.2 refused for tunnel", StringComparison.Ordinal)));

            held[0].Dispose();
            await Expect.Within(15.Seconds()).That("a place freed by a closed connection", async () =>
            {
                using var again = await ConnectFromAsync(two);
                return await TalkAsync(again, "again") == "again";
            });
            foreach (var socket in held) socket.Dispose();
        });
    }

    [Fact]
    public async Task LeasedPort_QuietConnectionClosedAfterTheIdleTimeout_TalkingOneLivesOn()
    {
        var bed = await StartAsync(new { tcpIdleSeconds = IdleSeconds });
        await bed.ScenarioAsync(output, async () =>
        {
            using var quiet = await ConnectFromAsync(IPAddress.Parse("127.0.0.4"));
            using var talking = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"));
            Assert.Equal("first", await TalkAsync(quiet, "first"));
            var watch = Stopwatch.StartNew();

            // Talk for well over the idle limit while the other stays silent.
            for (var i = 0; watch.Elapsed < TimeSpan.FromSeconds(IdleSeconds * 2.5); i++)
            {
                Assert.Equal($"still {i}", await TalkAsync(talking, $"still {i}"));
                await Task.Delay(300);
            }

            var closed = await ReadAsync(quiet, TimeSpan.FromSeconds(20));
            Assert.True(closed.Length == 0, "the quiet connection must be closed, not answered");
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(IdleSeconds * 0.9), TimeSpan.FromSeconds(30));
            Assert.Equal("last", await TalkAsync(talking, "last"));
        });
    }

    private async Task<Socket> ConnectFromAsync(IPAddress source)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, _port);
        return socket;
    }

    /// <summary>Sends <paramref name="text"/> and reads its echo; "" when the edge closed the connection instead.</summary>
    private static async Task<string> TalkAsync(Socket socket, string text)
    {
        try
        {
            await Visitor.SendAllAsync(socket, Encoding.ASCII.GetBytes(text));
        }
        catch (SocketException)
        {
            return "";
        }
        var answer = new StringBuilder();
        while (answer.Length < text.Length)
        {
            var chunk = await ReadAsync(socket, Visitor.Patience);
            if (chunk.Length == 0) return answer.ToString();
            answer.Append(Encoding.ASCII.GetString(chunk));
        }
        return answer.ToString();
    }

    /// <summary>One receive: the bytes, or empty at end of stream or reset.</summary>
    private static async Task<byte[]> ReadAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return buffer[..read];
        }
        catch (SocketException)
        {
            return [];
        }
    }
}
