using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>Traffic no tunnel owns is closed without a byte and not recorded; garbage ends only its own connection.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class UnmatchedTrafficTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task UnknownHostAndUnknownSni_ClosedWithoutResponse_AndNotCounted() => bed.Bed.ScenarioAsync(output, async () =>
    {
        long before = await SettledBytesAsync();

        using (var http = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort))
        {
            await Visitor.SendAllAsync(http, "GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n"u8.ToArray());
            Assert.Empty(await Visitor.ReadToEndAsync(http, TimeSpan.FromSeconds(10)));
        }

        using (var tls = await bed.Visitor.ConnectAsync(bed.Bed.HttpsPort))
        {
            await Visitor.SendAllAsync(tls, await Support.ClientHelloCapture.CaptureAsync("nobody.example.com"));
            Assert.Empty(await Visitor.ReadToEndAsync(tls, TimeSpan.FromSeconds(10)));
        }

        // Then one known request of known size: the tunnel's counter must grow by exactly that much.
        using var known = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort);
        byte[] request = Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {TrafficFixture.AppDomain}\r\nConnection: close\r\n\r\n");
        await Visitor.SendAllAsync(known, request);
        byte[] response = await Visitor.ReadToEndAsync(known);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(response));
        long expected = before + request.Length + response.Length;
        var tunnel = await Expect.Within(10.Seconds()).That("the known request counted", () => bed.Bed.TunnelAsync(bed.Agent.TunnelId),
            t => t.BytesDaily >= expected);
        Assert.Equal(expected, tunnel.BytesDaily);
    });

    /// <summary>
    /// The counter once connections of earlier tests are flushed: unchanged across one flush interval of the
    /// node's recorder (there is no event to await for "nothing more is coming").
    /// </summary>
    private async Task<long> SettledBytesAsync()
    {
        long last = -1;
        var quiet = Spokes.Edge.Traffic.TrafficRecorder.FlushInterval + TimeSpan.FromMilliseconds(500);
        await Expect.Within(20.Seconds()).That("the byte counter to settle", async () =>
        {
            long previous = last;
            last = (await bed.Bed.TunnelAsync(bed.Agent.TunnelId)).BytesDaily;
            if (previous == last)
            {
                return true;
            }

            await Task.Delay(quiet);
            return false;
        });
        return last;
    }

    [Fact]
    public Task GarbageFirstPacket_OnEachPort_ClosesOnlyThatConnection() => bed.Bed.ScenarioAsync(output, async () =>
    {
        // Connections that are already relaying before the garbage arrives.
        using var keepAlive = bed.Visitor.Http(TrafficFixture.AppDomain, maxConnections: 1);
        Assert.StartsWith("hello from backend", await keepAlive.GetStringAsync("hello"));
        using var tcp = await bed.Visitor.ConnectAsync(bed.LeasedPort);
        await Visitor.SendAllAsync(tcp, "before "u8.ToArray());

        byte[] garbage = RandomNumberGenerator.GetBytes(4096);
        garbage[0] = 0x00; // neither a TLS record (0x16) nor an HTTP method letter
        foreach (int port in new[] { bed.Bed.HttpsPort, bed.Bed.HttpPort })
        {
            using var socket = await bed.Visitor.ConnectAsync(port);
            await Visitor.SendAllAsync(socket, garbage);
            Assert.Empty(await Visitor.ReadToEndAsync(socket, TimeSpan.FromSeconds(10)));
        }

        // A leased port carries any bytes: garbage goes to the service, then the visitor resets the connection.
        using (var rude = await bed.Visitor.ConnectAsync(bed.LeasedPort))
        {
            await Visitor.SendAllAsync(rude, garbage);
            rude.LingerState = new LingerOption(true, 0);
            rude.Close();
        }

        Assert.StartsWith("hello from backend", await keepAlive.GetStringAsync("hello"));
        await Visitor.SendAllAsync(tcp, "after"u8.ToArray());
        tcp.Shutdown(SocketShutdown.Send);
        Assert.Equal("before after", Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(tcp)));
        var (tls, certificate) = await bed.Visitor.TlsAsync(TlsBackend.Name);
        await tls.DisposeAsync();
        Assert.Equal(bed.TlsBackend.Certificate.Thumbprint, certificate.Thumbprint);
    });

    [Fact]
    public Task Traffic_IsRecorded_BytesDailyGrowsWithinSeconds() => bed.Bed.ScenarioAsync(output, async () =>
    {
        long before = (await bed.Bed.TunnelAsync(bed.Agent.TunnelId)).BytesDaily;
        // A connection is recorded when it closes: disposing the client closes its pooled connection.
        using (var http = bed.Visitor.Http(TrafficFixture.AppDomain))
        using (var response = await http.PostAsync("upload", new ByteArrayContent(new byte[100_000])))
        {
            response.EnsureSuccessStatusCode();
        }

        await Expect.Within(6.Seconds()).That("bytesDaily to grow by the upload", () => bed.Bed.TunnelAsync(bed.Agent.TunnelId),
            t => t.BytesDaily >= before + 100_000);
        var listed = (await bed.Bed.CliAsync("tunnel", "ls", "--json")).ExpectExit(0);
        using var json = System.Text.Json.JsonDocument.Parse(listed.Output);
        var tunnel = json.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == bed.Agent.TunnelId);
        Assert.True(tunnel.GetProperty("bytesDaily").GetInt64() >= before + 100_000, listed.Output);
        Assert.True(tunnel.GetProperty("online").GetBoolean(), listed.Output);
    });
}
