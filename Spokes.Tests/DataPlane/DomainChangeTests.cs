using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// <c>spokes settings domain</c> end to end on a two-node cluster of its own that starts as <c>spokes.localhost</c>
/// (agents dial 127.0.0.1 with that TLS name; nothing resolves it). The checked change goes to <c>localhost</c> — the
/// one name /etc/hosts resolves here — and the forced one to <c>edge.localhost</c>, which is never resolved. Both nodes
/// serve the new name with a certificate for it, the connected agent is told, keeps its session and traffic, saves the
/// name and trusts the node's new self-signed certificate from a trust file of its own: restarted, it connects with it.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class DomainChangeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AppDomain = "app.example.com";
    private SpokesTestbed? _bed;
    private HttpBackend? _backend;

    public async Task InitializeAsync() => _backend = await HttpBackend.StartAsync();

    public async Task DisposeAsync()
    {
        if (_bed is not null) await _bed.DisposeAsync();
        if (_backend is not null) await _backend.DisposeAsync();
    }

    [Fact]
    public async Task DomainChange_Checked_Then_Forced_EveryNodeServesIt_AndTheAgentFollows()
    {
        var bed = _bed = await SpokesTestbed.StartAsync(domain: "spokes.localhost");
        await bed.ScenarioAsync(output, async () =>
        {
            var peer = await bed.StartPeerAsync();
            // The agent trusts a copy of the first self-signed certificate, not the node's file (which the change rewrites).
            var ca = Path.Combine(bed.Directory, "dora-ca.crt");
            File.Copy(bed.CaPath, ca);
            var (dora, configured) = await bed.ConfigureAgentAsync("dora", "dora", ca: ca);
            configured.ExpectExit(0);
            await dora.StartAsync();
            (await dora.RunAsync("http", "add", "--domain", AppDomain, "--destination", "127.0.0.1", "--http", _backend!.Port.ToString()))
                .ExpectExit(0);
            Assert.Equal(AppDomain, await HostSeenAsync(bed));

            (await bed.CliAsync("settings", "domain")).ExpectExit(0).ExpectOutput("domain: spokes.localhost");
            (await bed.CliAsync("settings", "domain", "--name", "not_a name")).ExpectExit(2).ExpectError("not a valid domain name");
            (await bed.CliAsync("settings", "domain", "--name", "127.0.0.1")).ExpectExit(2).ExpectError("not a valid domain name");
            (await bed.CliAsync("settings", "domain", "--force")).ExpectExit(2).ExpectError("--force goes with --name");
            (await bed.CliAsync("settings", "domain", "--name", AppDomain, "--force")).ExpectExit(1).ExpectError("claimed by an HTTP rule");

            var lines = bed.Log.Count;
            (await bed.CliAsync("settings", "domain", "--name", "localhost")).ExpectExit(0)
                .ExpectOutput("domain: localhost").ExpectOutput("resolves to this node and its HTTP and HTTPS ports answer");
            await ExpectServedAsync(bed, "localhost", bed.HttpsPort);
            await ExpectServedAsync(bed, "localhost", peer.HttpsPort);
            await dora.Process!.WaitForLineAsync("the server is now localhost", TimeSpan.FromSeconds(30));
            Assert.Equal("localhost", AgentConfig(dora).GetProperty("hostname").GetString());
            var trust = AgentConfig(dora).GetProperty("ca").GetString()!;
            Assert.EndsWith("server-trust.pem", trust);
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(trust);
            // The first certificate, and the one the nodes (on one data folder here) made for localhost.
            Assert.Contains(trusted, c => c.Subject == "CN=spokes.localhost");
            Assert.Contains(trusted, c => c.Subject == "CN=localhost");
            Assert.DoesNotContain(bed.Log.Since(lines).Split('\n'), l => l.Contains("[dora]") && l.Contains("disconnected"));
            Assert.Equal(AppDomain, await HostSeenAsync(bed));

            // The console's plain-HTTP redirect and the own-domain endpoints follow the name.
            using (var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectCallback = Loopback(bed.HttpPort) }))
            {
                using var redirect = await http.GetAsync("http://localhost/settings");
                Assert.Equal($"https://localhost:{bed.HttpsPort}/settings", redirect.Headers.Location!.ToString());
            }
            (await bed.CliAsync("settings", "domain", "--name", "localhost")).ExpectExit(0).ExpectOutput("already localhost");

            // Forced: never resolved; the agent, restarted, dials the new name and trusts the new certificate.
            (await bed.CliAsync("settings", "domain", "--name", "Edge.Localhost", "--force")).ExpectExit(0)
                .ExpectOutput("domain: edge.localhost").ExpectOutput("not checked (--force)");
            await ExpectServedAsync(bed, "edge.localhost", bed.HttpsPort);
            await ExpectServedAsync(bed, "edge.localhost", peer.HttpsPort);
            await dora.Process!.WaitForLineAsync("the server is now edge.localhost", TimeSpan.FromSeconds(30));
            await dora.KillAsync();
            await dora.StartAsync();
            Assert.Equal(AppDomain, await HostSeenAsync(bed));
            Assert.Equal("edge.localhost", AgentConfig(dora).GetProperty("hostname").GetString());

            var audit = (await bed.CliAsync("audit", "ls")).ExpectExit(0);
            audit.ExpectOutput("domain changed from spokes.localhost to localhost").ExpectOutput("domain changed from localhost to edge.localhost");
        });
    }

    private static JsonElement AgentConfig(TestAgent agent) => JsonDocument.Parse(File.ReadAllText(agent.ConfigPath)).RootElement.Clone();

    /// <summary>Waits until a handshake with SNI <paramref name="name"/> on <paramref name="port"/> gets a certificate for it.</summary>
    private static async Task ExpectServedAsync(SpokesTestbed bed, string name, int port) =>
        await Expect.Within(30.Seconds()).That($"a certificate for {name} on port {port}", async () =>
        {
            var (tls, certificate) = await new Visitor(bed).TlsAsync(name, port);
            await using (tls) return certificate.MatchesHostname(name);
        });

    private async Task<string?> HostSeenAsync(SpokesTestbed bed) =>
        await Expect.Within(20.Seconds()).That("the tunnel answered", async () =>
        {
            using var http = new Visitor(bed).Http(AppDomain);
            try
            {
                using var response = await http.GetAsync("host");
                return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, seen => seen == AppDomain);

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Loopback(int port) => async (_, ct) =>
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, ct);
        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
    };
}
