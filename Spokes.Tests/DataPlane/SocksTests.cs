using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// The SOCKS5 entry point end to end on the shared bed: turned on at run time with <c>spokes settings socks</c>, curl's
/// SOCKS client reaching a service behind a tunnel by name, the leased port and TLS passthrough by name, every refusal
/// with its reply code, the allow-list opening one loopback destination, the TLS port, and turned off again. Every
/// destination is on 127.0.0.1; the refusal of other special addresses is decided in <c>SocksPolicyTests</c>.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class SocksTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task Socks_TunnelServicesByName_Refusals_AllowList_TlsPort_AtRunTime() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var port = FreePorts.One();
        var tlsPort = FreePorts.One();
        var jack = bed.Agent;
        (await bed.Bed.CliAsync("settings", "socks", "--port", bed.Bed.HttpPort.ToString())).ExpectExit(2).ExpectError("listen.http");
        (await bed.Bed.CliAsync("settings", "socks", "--port", "70000")).ExpectExit(2).ExpectError("between 1 and 65535");
        (await bed.Bed.CliAsync("settings", "socks", "--allow", "10.0.0.1/8")).ExpectExit(2).ExpectError("bits set");
        (await bed.Bed.CliAsync("settings", "socks", "--port", port.ToString(), "--tls-port", tlsPort.ToString())).ExpectExit(0)
            .ExpectOutput($"port: {port}").ExpectOutput($"tlsPort: {tlsPort}").ExpectOutput("allow: (none)");
        try
        {
            await Expect.Within(20.Seconds()).That("the SOCKS port listening", () => Loopback.AcceptsAsync(port));

            // curl's own SOCKS5 client, the name resolved by the node; the credentials from a file, not argv.
            var curl = Path.Combine(bed.Bed.Directory, "socks-curl.cfg");
            await File.WriteAllTextAsync(curl, $"proxy-user = \"{jack.TunnelId}:{jack.Key}\"\n");
            var (exit, body) = await CurlAsync("-K", curl, "--socks5-hostname", $"127.0.0.1:{port}", $"http://{TrafficFixture.AppDomain}/hello");
            Assert.True(exit == 0, $"curl exit {exit}: {body}");
            Assert.StartsWith("hello from backend", body, StringComparison.Ordinal);

            // <server domain>:P is the leased port; D:443 is the TLS service as a TLS visitor sees it.
            await using (var lease = await ConnectedAsync(port, SpokesTestbed.Domain, bed.LeasedPort))
                Assert.Equal("ping", await lease.EchoAsync("ping"));
            await using (var tls = await ConnectedAsync(port, Testbed.TlsBackend.Name, 443))
            {
                await using var inner = new SslStream(tls.Stream, leaveInnerStreamOpen: true, (_, certificate, _, _) =>
                    certificate is not null && new X509Certificate2(certificate).Thumbprint == bed.TlsBackend.Certificate.Thumbprint);
                await inner.AuthenticateAsClientAsync(Testbed.TlsBackend.Name);
                await inner.WriteAsync("hi"u8.ToArray());
                var buffer = new byte["tls-echo:hi".Length];
                await inner.ReadExactlyAsync(buffer);
                Assert.Equal("tls-echo:hi", Encoding.ASCII.GetString(buffer));
            }

            await RefusalsAsync(port, jack);

            // Outside the tunnels only what socks.allow opens: 127.0.0.1 must be named as a network.
            var echo = bed.TcpBackend.Port;
            await ExpectReplyAsync(port, "127.0.0.1", echo, 0x02);
            (await bed.Bed.CliAsync("settings", "socks", "--allow", "127.0.0.1, *.corp.example")).ExpectExit(0)
                .ExpectOutput("allow: 127.0.0.1/32, *.corp.example");
            await using (var external = await ConnectedAsync(port, "127.0.0.1", echo))
                Assert.Equal("outside", await external.EchoAsync("outside"));
            await ExpectReplyAsync(port, "127.0.0.1", bed.Bed.HttpsPort, 0x02); // the node's own listener, allowed network or not
            var (keyId, key) = await OperatorEndpointsTests.CreateKeyAsync(bed.Bed, "read");
            using (var https = OperatorEndpointsTests.Https(bed.Bed))
            {
                await Expect.Within(20.Seconds()).That("the SOCKS connection in the tunnel's history", async () =>
                {
                    using var history = await OperatorEndpointsTests.ApiAsync(https, key, HttpMethod.Get, $"api/v1/tunnels/{jack.TunnelId}/connections?limit=50");
                    using var page = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
                    return page.RootElement.GetProperty("items").EnumerateArray().Any(c => c.GetProperty("rule").GetString() == $"socks:127.0.0.1:{echo}");
                });
            }
            (await bed.Bed.CliAsync("apikey", "rm", "--id", keyId)).ExpectExit(0);

            // SOCKS inside TLS with the server certificate.
            await using (var overTls = await SocksClient.OpenAsync(tlsPort))
            {
                var ca = X509CertificateLoader.LoadCertificateFromFile(bed.Bed.CaPath);
                var ssl = new SslStream(overTls.Stream, leaveInnerStreamOpen: false, (_, certificate, chain, _) =>
                {
                    chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate!));
                });
                await ssl.AuthenticateAsClientAsync(SpokesTestbed.Domain);
                overTls.Wrap(ssl);
                Assert.Equal((byte)2, await overTls.GreetAsync(2));
                Assert.Equal((byte)0, await overTls.LogInAsync(jack.TunnelId, jack.Key));
                Assert.Equal((byte)0, await overTls.RequestAsync(SpokesTestbed.Domain, bed.LeasedPort));
                Assert.Equal("in tls", await overTls.EchoAsync("in tls"));
            }
        }
        finally
        {
            (await bed.Bed.CliAsync("settings", "socks", "--port", "0", "--tls-port", "0", "--allow", "")).ExpectExit(0).ExpectOutput("port: 0 (off)");
        }
        await Expect.Within(20.Seconds()).That("the SOCKS port closed", async () => !await Loopback.AcceptsAsync(port));
    });

    private async Task RefusalsAsync(int port, TestAgent jack)
    {
        // Refused credentials come from an address of their own: they count towards its failure window.
        var guesser = IPAddress.Parse("127.0.0.9");
        await using (var wrongToken = await SocksClient.OpenAsync(port, guesser))
        {
            Assert.Equal((byte)2, await wrongToken.GreetAsync(2));
            Assert.Equal((byte)1, await wrongToken.LogInAsync(jack.TunnelId, "spk-not-the-token-0123456789abcdef"));
            Assert.True(await wrongToken.ClosedAsync());
        }
        await using (var otherTunnel = await SocksClient.OpenAsync(port, guesser))
        {
            Assert.Equal((byte)2, await otherTunnel.GreetAsync(2));
            Assert.Equal((byte)1, await otherTunnel.LogInAsync("not-" + jack.TunnelId, jack.Key));
        }
        await using (var anonymous = await SocksClient.OpenAsync(port))
        {
            Assert.Equal((byte)0xFF, await anonymous.GreetAsync(0));
            Assert.True(await anonymous.ClosedAsync());
        }
        await using (var oversized = await SocksClient.OpenAsync(port))
        {
            // 255 methods, none of them user/password, then 64 KiB more: answered from the first 257 bytes, then closed.
            await oversized.SendAsync([5, 255, .. new byte[255]]);
            try
            {
                await oversized.SendAsync(new byte[64 * 1024]);
            }
            catch (IOException)
            {
                // The node may have closed already.
            }
            var reply = new byte[2];
            await oversized.Stream.ReadExactlyAsync(reply);
            Assert.Equal([5, 0xFF], reply);
            Assert.True(await oversized.ClosedAsync());
        }
        await using (var trickle = await SocksClient.OpenAsync(port))
        {
            // Every message one byte at a time.
            var user = Encoding.ASCII.GetBytes(jack.TunnelId);
            var key = Encoding.ASCII.GetBytes(jack.Key);
            byte[] handshake = [5, 1, 2];
            foreach (var b in handshake) await trickle.SendAsync(b);
            var method = new byte[2];
            await trickle.Stream.ReadExactlyAsync(method);
            Assert.Equal([5, 2], method);
            foreach (var b in (byte[])[1, (byte)user.Length, .. user, (byte)key.Length, .. key]) await trickle.SendAsync(b);
            var status = new byte[2];
            await trickle.Stream.ReadExactlyAsync(status);
            Assert.Equal([1, 0], status);
            var name = Encoding.ASCII.GetBytes(SpokesTestbed.Domain);
            foreach (var b in (byte[])[5, 1, 0, 3, (byte)name.Length, .. name, (byte)(bed.LeasedPort >> 8), (byte)bed.LeasedPort])
                await trickle.SendAsync(b);
            var connected = new byte[10];
            await trickle.Stream.ReadExactlyAsync(connected);
            Assert.Equal(0, connected[1]);
            Assert.Equal("slow", await trickle.EchoAsync("slow"));
        }
        await ExpectReplyAsync(port, TrafficFixture.AppDomain, 80, 0x07, command: 2); // BIND
        await ExpectReplyAsync(port, TrafficFixture.AppDomain, 80, 0x07, command: 3); // UDP ASSOCIATE
        await ExpectReplyAsync(port, "127.0.0.1", bed.TcpBackend.Port, 0x02); // loopback, not allowed
        await ExpectReplyAsync(port, "nope-" + Guid.NewGuid().ToString("N")[..6] + "." + SpokesTestbed.Domain, 80, 0x04); // no such tunnel
        await ExpectReplyAsync(port, TrafficFixture.AppDomain, 22, 0x02); // a tunnel's domain on another port
        await ExpectReplyAsync(port, SpokesTestbed.Domain, bed.Bed.HttpsPort, 0x04); // the server's name on a port no tunnel leases
        await using (var badType = await LoggedInAsync(port))
        {
            await badType.SendAsync(5, 1, 0, 9, 0, 80);
            var reply = new byte[2];
            await badType.Stream.ReadExactlyAsync(reply);
            Assert.Equal([5, 0x08], reply);
        }
    }

    private async Task<SocksClient> LoggedInAsync(int port)
    {
        var client = await SocksClient.OpenAsync(port);
        Assert.Equal((byte)2, await client.GreetAsync(2));
        Assert.Equal((byte)0, await client.LogInAsync(bed.Agent.TunnelId, bed.Agent.Key));
        return client;
    }

    private async Task<SocksClient> ConnectedAsync(int port, string host, int destination)
    {
        var client = await LoggedInAsync(port);
        Assert.Equal((byte)0, await client.RequestAsync(host, destination));
        return client;
    }

    private async Task ExpectReplyAsync(int port, string host, int destination, byte reply, byte command = 1)
    {
        await using var client = await LoggedInAsync(port);
        Assert.Equal(reply, await client.RequestAsync(host, destination, command));
        Assert.True(await client.ClosedAsync(), $"closed after reply {reply} for {host}:{destination}");
    }

    private static async Task<(int Exit, string Output)> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl", ["-sS", "--max-time", "20", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var curl = Process.Start(start)!;
        var stdout = curl.StandardOutput.ReadToEndAsync();
        var stderr = curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        return (curl.ExitCode, await stdout + await stderr);
    }
}
