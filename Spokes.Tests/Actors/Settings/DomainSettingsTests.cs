using System.Net;
using System.Net.Sockets;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Settings;
using Spokes.Edge.Certificates;
using Spokes.Edge.Listeners;
using Spokes.Edge.Tls;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Spokes.Tunnel.Control;

namespace Spokes.Tests.Actors.Settings;

/// <summary>The run-time domain's decisions: what the settings entity accepts and keeps, the DNS/port check's verdicts
/// (addresses as units — no test resolves a name outside /etc/hosts), agents dialling a former name, and what agents
/// are told.</summary>
public sealed class DomainSettingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static SettingsState Change(SettingsState state, string domain, string configured = "spokes.example.com")
    {
        var decision = state.Decide(new ChangeDomain(SettingsIds.Server, domain, configured, "t"), Now);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a name")]
    [InlineData("under_score.example.com")]
    [InlineData("192.0.2.7")]
    [InlineData("*.example.com")]
    [InlineData("trailing.example.com.")]
    public void ChangeDomain_NotADnsName_IsRefused(string domain)
    {
        var refusal = Assert.IsType<Refusal>(SettingsState.Empty.Decide(new ChangeDomain(SettingsIds.Server, domain, "x.example", "t"), Now).Reply);
        Assert.Equal(ErrorCode.Invalid, refusal.Code);
    }

    [Fact]
    public void ChangeDomain_KeepsFormerNames_NewestFirst_Bounded_WithoutTheCurrentOne()
    {
        var state = Change(SettingsState.Empty, "a.example.com");
        Assert.Equal("a.example.com", state.Domain);
        Assert.Equal(["spokes.example.com"], state.FormerDomains);
        state = Change(Change(state, "b.example.com"), "spokes.example.com");
        Assert.Equal(["b.example.com", "a.example.com"], state.FormerDomains);
        for (var i = 0; i < 20; i++) state = Change(state, $"n{i}.example.com");
        Assert.Equal(SettingsState.MaxFormerDomains, state.FormerDomains.Count);
        Assert.Equal("n18.example.com", state.FormerDomains[0]);
        Assert.DoesNotContain(state.Domain, state.FormerDomains);
    }

    [Fact]
    public void ChangeDomain_ToTheDomainInForce_RecordsNothing()
    {
        Assert.Empty(SettingsState.Empty.Decide(new ChangeDomain(SettingsIds.Server, "spokes.example.com", "spokes.example.com", "t"), Now).Events);
        var changed = Change(SettingsState.Empty, "a.example.com");
        Assert.Empty(changed.Decide(new ChangeDomain(SettingsIds.Server, "a.example.com", "spokes.example.com", "t"), Now).Events);
    }

    [Fact]
    public void Judge_NeedsOneResolvedAddressOfThisNode()
    {
        var own = new HashSet<IPAddress> { IPAddress.Parse("203.0.113.5"), IPAddress.Loopback };
        Assert.Null(DomainCheck.Judge("d.example", [IPAddress.Parse("198.51.100.1"), IPAddress.Parse("203.0.113.5")], own));
        Assert.Null(DomainCheck.Judge("d.example", [IPAddress.Parse("::ffff:203.0.113.5")], own));
        Assert.Contains("198.51.100.1, which is not an address of this node",
            DomainCheck.Judge("d.example", [IPAddress.Parse("198.51.100.1")], own));
        Assert.Contains("does not resolve", DomainCheck.Judge("d.example", [], own));
    }

    [Fact]
    public async Task ProblemAsync_Localhost_PassesWhenBothPortsAnswer_NamesThePortThatDoesNot()
    {
        using var http = new TcpListener(IPAddress.Loopback, 0);
        using var https = new TcpListener(IPAddress.Loopback, 0);
        http.Start();
        https.Start();
        var httpPort = ((IPEndPoint)http.LocalEndpoint).Port;
        var httpsPort = ((IPEndPoint)https.LocalEndpoint).Port;
        SpokesConfig Config(int h, int s) => new()
        {
            Listen = new ListenConfig { Http = $"127.0.0.1:{h}", Https = $"127.0.0.1:{s}" },
            Cluster = new ClusterConfig { Advertise = $"127.0.0.1:{s}" },
        };

        Assert.Null(await new DomainCheck(Config(httpPort, httpsPort)).ProblemAsync("localhost", CancellationToken.None));

        var closed = FreePorts.One();
        var problem = await new DomainCheck(Config(httpPort, closed)).ProblemAsync("localhost", CancellationToken.None);
        Assert.Equal($"localhost resolves to 127.0.0.1 but port {closed} (listen.https) there does not answer (ConnectionRefused)", problem);
    }

    [Fact]
    public async Task AgentHello_WithAFormerDomain_IsStillAnAgent_AnyOtherNameIsNot()
    {
        var domains = new DomainSource("old.example.com");
        domains.Replace("new.example.com", ["old.example.com"]);
        Assert.True(HttpsPortTransport.IsAgentHello(await ClientHelloCapture.CaptureAsync("new.example.com", ControlProtocol.Alpn), domains));
        Assert.True(HttpsPortTransport.IsAgentHello(await ClientHelloCapture.CaptureAsync("OLD.example.com", ControlProtocol.Alpn), domains));
        Assert.False(HttpsPortTransport.IsAgentHello(await ClientHelloCapture.CaptureAsync("app.example.com", ControlProtocol.Alpn), domains));
        Assert.False(HttpsPortTransport.IsAgentHello(await ClientHelloCapture.CaptureAsync("new.example.com", "h2"), domains));
    }

    [Fact]
    public void ServerNameBoard_TellsTheNameOnlyOnceTheCertificateCoversIt_WithTheSelfSignedPem()
    {
        var domains = new DomainSource("old.example.com");
        var server = new ServerCertificate(SelfSignedCertificate.Create("old.example.com"));
        var board = new ServerNameBoard(domains, server, TimeProvider.System);
        var told = new List<ServerName>();
        board.Changed += told.Add;
        Assert.Equal("old.example.com", board.Current!.Hostname);

        domains.Replace("new.example.com", ["old.example.com"]);
        Assert.Empty(told); // the old certificate cannot prove the new name yet
        Assert.Equal("old.example.com", board.Current!.Hostname);

        var fresh = SelfSignedCertificate.Create("new.example.com");
        server.Replace(fresh);
        var name = Assert.Single(told);
        Assert.Equal("new.example.com", name.Hostname);
        Assert.Equal(fresh.ExportCertificatePem(), name.CertificatePem);
        server.Replace(fresh);
        Assert.Single(told); // same name, same certificate: nothing new to tell
    }
}
