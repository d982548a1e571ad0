using Spokes.Agent.Config;
using Spokes.Agent.Session;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
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

    [Fact]
    public Task AgentWhoseClientHelloArrivesInPieces_IsServedThroughKestrelsTls() => bed.Bed.ScenarioAsync(output, async () =>
    {
        // The HTTPS port's transport decides on the first bytes it sees; a hello cut after 3 bytes goes to Kestrel,
        // whose ALPN middleware must serve the agent just the same.
        var quinn = await bed.Bed.AddAgentAsync("quinn", "quinn");
        var config = new ConfigStore(quinn.ConfigPath).Load();
        var runtime = new AgentRuntime(new ConfigStore(quinn.ConfigPath), new AgentLog(TextWriter.Null));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var tcp = new System.Net.Sockets.TcpClient { NoDelay = true };
        await tcp.ConnectAsync(config.Address ?? config.Hostname!, config.Port, timeout.Token);
        var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.ImportFromPemFile(config.Ca!);
        var tls = new System.Net.Security.SslStream(new SplitFirstWriteStream(tcp.GetStream(), 3, TimeSpan.FromMilliseconds(300)));
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = config.Hostname,
            ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol(ControlProtocol.Alpn)],
            CertificateChainPolicy = policy,
        }, timeout.Token);
        await using var mux = Spokes.Tunnel.Mux.MuxSession.Create(tls, isClient: true);
        await using var control = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: timeout.Token));
        var welcome = await control.HelloAsync(runtime.NewHello(ConnectionRole.Control, null) with { Key = config.Key! }, ControlProtocol.HandshakeTimeout, timeout.Token);
        Assert.True(welcome.Control);
    });
}
