using System.Collections.Immutable;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;
using Spokes.Admin.Components.Settings;
using Spokes.Admin.Components.Tunnels;
using Spokes.Admin.Services;
using SettingsPage = Spokes.Admin.Components.Pages.Settings;

namespace Spokes.Tests.Admin;

public sealed class RuleAndSettingsComponentTests : BunitContext, IAsyncLifetime
{
    private readonly FakeRules _rules = new();
    private readonly FakeServerSettings _settings = new();
    private readonly FakeDirectory _directory = new();

    public RuleAndSettingsComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<ITunnelRules>(_rules);
        Services.AddSingleton<IServerSettings>(_settings);
        Services.AddSingleton<ITunnelDirectory>(_directory);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();

    private IRenderedComponent<RuleManager> RenderRules() =>
        Render<RuleManager>(p => p.Add(c => c.TunnelId, "t1").Add(c => c.Online, _rules.Rules.Value?.Online ?? false));

    private static AngleSharp.Dom.IElement Input<T>(IRenderedComponent<T> cut, string testId) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.Find($"[data-testid={testId}] input, input[data-testid={testId}], [data-testid={testId}] textarea, textarea[data-testid={testId}]");

    private static void Fill<T>(IRenderedComponent<T> cut, string testId, string value) where T : Microsoft.AspNetCore.Components.IComponent =>
        Input(cut, testId).Change(value);

    [Fact]
    public void RuleManager_Offline_ShowsCachedRulesWithoutButtons()
    {
        _rules.Rules = FakeRules.Online([FakeRules.WebRule], [FakeRules.Port(22001, "")], online: false);
        var cut = RenderRules();
        Assert.NotNull(cut.Find("[data-testid=rules-readonly]"));
        Assert.Contains("web.example.com", cut.Find("[data-testid=rule-table]").TextContent);
        foreach (var button in new[] { "rule-add", "rule-edit", "rule-remove", "rule-firewall", "port-allocate", "port-edit", "port-release",
                     "port-reset", "port-firewall" })
            Assert.Empty(cut.FindAll($"[data-testid={button}]"));
    }

    [Fact]
    public void RuleManager_OnlineWithNothing_ShowsEmptyStatesAndButtons()
    {
        _rules.Rules = FakeRules.Online([], []);
        var cut = RenderRules();
        Assert.NotNull(cut.Find("[data-testid=no-rules]"));
        Assert.NotNull(cut.Find("[data-testid=no-ports]"));
        Assert.NotNull(cut.Find("[data-testid=rule-add]"));
        Assert.NotNull(cut.Find("[data-testid=port-allocate]"));
        Assert.Empty(cut.FindAll("[data-testid=rules-readonly]"));
    }

    [Fact]
    public void RuleManager_LoadFails_ShowsError()
    {
        _rules.Rules = Outcome<TunnelRulesDto>.Failure("tunnel t1 not found");
        var cut = RenderRules();
        Assert.Contains("not found", cut.Find("[data-testid=rule-error]").TextContent);
    }

    [Theory]
    [InlineData("", "", "an HTTP port, a TLS port or a webroot")]
    [InlineData("80x", "", "is not a number")]
    [InlineData("", "70000", "ports are 1-65535")]
    public void HttpRuleForm_Invalid_RefusedWithoutCallingTheAgent(string http, string tls, string problem)
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-add]").Click();
        Fill(cut, "rule-domain", "api.example.com");
        Fill(cut, "rule-destination", "127.0.0.1");
        Fill(cut, "rule-http", http);
        Fill(cut, "rule-tls", tls);
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains(problem, cut.Find("[data-testid=rule-form-error]").TextContent));
        Assert.Empty(_rules.Changes);
    }

    [Fact]
    public void HttpRuleForm_Valid_PushesTheRuleAndShowsTheResult()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-add]").Click();
        Fill(cut, "rule-domain", " api.example.com ");
        Fill(cut, "rule-destination", "10.0.0.5");
        Fill(cut, "rule-tls", "8443");
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("HttpAdd done", cut.Find("[data-testid=rule-result]").TextContent));
        Assert.Equal(new RuleChange(RuleAction.HttpAdd, "api.example.com", "10.0.0.5", null, 8443), Assert.Single(_rules.Changes));
        Assert.Empty(cut.FindAll("[data-testid=http-form]"));
    }

    [Fact]
    public void HttpRuleForm_EveryOptionOfTheConsole_SentWithTheRule_AuthShownAsSetOnTheAgent()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-add]").Click();
        Assert.Contains("Visitor sign-in: none", cut.Find("[data-testid=rule-auth]").TextContent);
        Fill(cut, "rule-domain", "shop.example.com");
        Fill(cut, "rule-destination", "127.0.0.1");
        Fill(cut, "rule-http", "3000");
        Fill(cut, "rule-host-header", "shop.internal");
        Fill(cut, "rule-cert", "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----");
        Fill(cut, "rule-key", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----");
        Input(cut, "rule-redirect").Change(true);
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        var change = _rules.Changes[0];
        Assert.Equal(("shop.example.com", 3000, "shop.internal", true, false), (change.Domain, change.HttpPort, change.HostHeader, change.Redirect, change.LetsEncrypt));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", change.CertificatePem);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", change.KeyPem);
        Assert.DoesNotContain("PRIVATE KEY", change.ToString());
    }

    [Fact]
    public void HttpRuleForm_CertificateAndKeyFiles_PickedIntoTheForm_NotPemOrTooLargeRefused()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-add]").Click();
        Fill(cut, "rule-domain", "shop.example.com");
        Fill(cut, "rule-destination", "127.0.0.1");
        Fill(cut, "rule-http", "3000");
        var pickers = cut.FindComponents<Microsoft.AspNetCore.Components.Forms.InputFile>();
        Assert.Equal(2, pickers.Count);
        pickers[0].UploadFiles(InputFileContent.CreateFromText("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n", "chain.pem"));
        pickers[1].UploadFiles(InputFileContent.CreateFromBinary([0x30, 0x82, 0xff, 0xfe], "key.der"));
        cut.WaitForAssertion(() => Assert.Contains("key.der is not a PEM file", cut.Find("[data-testid=rule-key-file-error]").TextContent));
        pickers[1].UploadFiles(InputFileContent.CreateFromText("-----BEGIN PRIVATE KEY-----\n" + new string('A', 70_000), "huge.pem"));
        cut.WaitForAssertion(() => Assert.Contains("huge.pem is 68 KiB; a PEM file here is at most 64 KiB", cut.Find("[data-testid=rule-key-file-error]").TextContent));
        pickers[1].UploadFiles(InputFileContent.CreateFromText("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n", "key.pem"));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=rule-key-file-error]")));
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        var change = _rules.Changes[0];
        Assert.Equal("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----", change.CertificatePem);
        Assert.Equal("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----", change.KeyPem);
    }

    [Fact]
    public void HttpRuleForm_BasicAuth_SendsOnlyTheBrowsersHash()
    {
        JSInterop.Setup<int>("spokesPasswordLength", _ => true).SetResult(21);
        JSInterop.Setup<string?>("spokesHashPasswordOf", _ => true).SetResult("pbkdf2-sha256$600000$AAAA$BBBB");
        var cut = RenderRules();
        cut.Find("[data-testid=rule-edit]").Click();
        cut.Find("[data-testid=rule-auth-mode]").Change("basic");
        Fill(cut, "rule-basic-user", "ann");
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        var change = _rules.Changes[0];
        Assert.Equal((true, null, "ann", "pbkdf2-sha256$600000$AAAA$BBBB"), (change.SetAuth, change.PasswordHash, change.BasicUser, change.BasicPassHash));
        Assert.Null(change.Problem());
    }

    [Fact]
    public void HttpRuleForm_LetsEncryptAndAnUpload_Refused()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-add]").Click();
        Fill(cut, "rule-domain", "shop.example.com");
        Fill(cut, "rule-destination", "127.0.0.1");
        Fill(cut, "rule-http", "3000");
        Fill(cut, "rule-cert", "chain");
        Fill(cut, "rule-key", "key");
        Input(cut, "rule-letsencrypt").Change(true);
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Let's Encrypt or an uploaded certificate", cut.Find("[data-testid=rule-form-error]").TextContent));
        Assert.Empty(_rules.Changes);
    }

    [Fact]
    public void HttpRuleForm_Edit_KeepsTheDomainAndPrefills()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-edit]").Click();
        Assert.Equal("8080", Input(cut, "rule-http").GetAttribute("value"));
        cut.Find("[data-testid=rule-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        Assert.Equal(new RuleChange(RuleAction.HttpAdd, "web.example.com", "127.0.0.1", 8080), _rules.Changes[0]);
    }

    [Fact]
    public void FirewallForm_ForARule_SendsBothListsWhole_SplitOnCommasAndSpaces()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=rule-firewall]").Click();
        Fill(cut, "firewall-allow", "10.0.0.0/8, 192.0.2.7 10.0.0.0/8");
        Fill(cut, "firewall-drop", "10.9.0.0/16");
        cut.Find("[data-testid=firewall-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        var change = _rules.Changes[0];
        Assert.Equal((RuleAction.HttpFirewall, "web.example.com"), (change.Action, change.Domain));
        Assert.Equal(["10.0.0.0/8", "192.0.2.7"], change.Allow!);
        Assert.Equal(["10.9.0.0/16"], change.Drop!);
        Assert.Empty(cut.FindAll("[data-testid=firewall-form]"));
    }

    [Fact]
    public void FirewallForm_ForAPort_PrefilledFromItsLists_ANetworkInBothIsRefusedWithoutCallingTheAgent()
    {
        _rules.Rules = Outcome<TunnelRulesDto>.Success(FakeRules.Online([FakeRules.WebRule], [FakeRules.Port(22001, "db:5432")]).Value! with
        {
            PortFirewalls = System.Collections.Immutable.ImmutableDictionary<int, FirewallInfo>.Empty.Add(22001, new FirewallInfo("203.0.113.0/24", "")),
        });
        var cut = RenderRules();
        Assert.Contains("allow 203.0.113.0/24", cut.Find("[data-testid=port-table]").TextContent);
        cut.Find("[data-testid=port-firewall]").Click();
        Assert.Equal("203.0.113.0/24", Input(cut, "firewall-allow").GetAttribute("value"));
        Fill(cut, "firewall-drop", "203.0.113.0/24");
        cut.Find("[data-testid=firewall-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("in both lists", cut.Find("[data-testid=firewall-form-error]").TextContent));
        Assert.Empty(_rules.Changes);
        Fill(cut, "firewall-drop", "");
        Fill(cut, "firewall-allow", "");
        cut.Find("[data-testid=firewall-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        Assert.Equal((RuleAction.TcpFirewall, 22001, 0, 0), (_rules.Changes[0].Action, _rules.Changes[0].Port, _rules.Changes[0].Allow!.Count,
            _rules.Changes[0].Drop!.Count));
    }

    [Fact]
    public void Allocate_AgentRefuses_ShowsTheRefusalAndKeepsTheRules()
    {
        _rules.Applied = Outcome<TunnelRulesDto>.Failure("no free port in the range");
        var cut = RenderRules();
        cut.Find("[data-testid=port-allocate]").Click();
        cut.WaitForAssertion(() => Assert.Contains("no free port", cut.Find("[data-testid=rule-error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=rule-result]"));
        Assert.Contains("db:5432", cut.Find("[data-testid=port-table]").TextContent);
    }

    [Fact]
    public void PortAnswer_ShownInThePortsCard_AndGoneWhenARuleFormOpens()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=port-allocate]").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=rule-result]")));
        var cards = cut.FindAll(".mud-paper");
        Assert.DoesNotContain(cards, c => c.TextContent.Contains("HTTP/S rules") && c.QuerySelector("[data-testid=rule-result]") is not null);
        Assert.Contains(cards, c => c.TextContent.Contains("TCP ports") && c.QuerySelector("[data-testid=rule-result]") is not null);

        cut.Find("[data-testid=rule-add]").Click();
        Assert.Empty(cut.FindAll("[data-testid=rule-result]"));
    }

    [Fact]
    public void PortForwardForm_PrefilledFromTheLease_SendsAForward()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=port-edit]").Click();
        Fill(cut, "port-dstport", "6543");
        cut.Find("[data-testid=port-save]").Click();
        cut.WaitForAssertion(() => Assert.Single(_rules.Changes));
        Assert.Equal(new RuleChange(RuleAction.TcpForward, Destination: "db", Port: 22001, DstPort: 6543), _rules.Changes[0]);
    }

    [Fact]
    public void PortForwardForm_NoHost_Refused()
    {
        var cut = RenderRules();
        cut.Find("[data-testid=port-edit]").Click();
        Fill(cut, "port-destination", "");
        cut.Find("[data-testid=port-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("needs a port, a destination", cut.Find("[data-testid=port-form-error]").TextContent));
        Assert.Empty(_rules.Changes);
    }

    [Fact]
    public void ConnectionHistory_None_ShowsEmptyState()
    {
        var cut = Render<ConnectionHistory>(p => p.Add(c => c.TunnelId, "t1"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=no-connections]")));
    }

    [Fact]
    public void ConnectionHistory_ManyConnections_ReadAPageAtATimeInTheGivenOrderWithBytesFormatted()
    {
        var at = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, 25).Select(i => new ConnectionRecord(at.AddMinutes(-i), $"http:site{i}.example.com",
            "192.0.2.1:4000", 1536, 3L << 20, 2500, "node-a")).ToImmutableList();
        _directory.Connections = records;
        var cut = Render<ConnectionHistory>(p => p.Add(c => c.TunnelId, "t1"));
        cut.WaitForAssertion(() => Assert.Equal(ConnectionHistory.PageSize, cut.FindAll("tbody tr").Count));
        var rows = cut.FindAll("tbody tr");
        Assert.Equal(ConnectionHistory.PageSize, rows.Count);
        Assert.Contains("site0.example.com", rows[0].TextContent);
        Assert.Contains("1.5 KiB", rows[0].TextContent);
        Assert.Contains("3.0 MiB", rows[0].TextContent);
        Assert.Contains("2s", rows[0].TextContent);
        Assert.Contains("25", cut.Find(".mud-table-pagination").TextContent);

        cut.FindAll(".mud-table-pagination-actions button")[2].Click(); // first, previous, next, last
        cut.WaitForAssertion(() => Assert.Contains("site10.example.com", cut.FindAll("tbody tr")[0].TextContent));
    }

    [Fact]
    public void TunnelOptions_Refused_ShowsTheClusterMessage()
    {
        _settings.Update = Outcome<TunnelOptionsDto>.Failure("maxPoolSize must be between 1 and 64");
        var cut = Render<TunnelOptionsForm>(p => p.Add(c => c.MaxPoolSize, 5).Add(c => c.MaxPorts, 5));
        Fill(cut, "max-pool", "0");
        cut.Find("[data-testid=options-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("between 1 and 64", cut.Find("[data-testid=options-error]").TextContent));
        Assert.Equal((0, 5), Assert.Single(_settings.Calls));
        Assert.Empty(cut.FindAll("[data-testid=options-saved]"));
    }

    [Fact]
    public void TunnelOptions_Applied_ShowsTheValuesInForce()
    {
        var cut = Render<TunnelOptionsForm>(p => p.Add(c => c.MaxPoolSize, 5).Add(c => c.MaxPorts, 5));
        Fill(cut, "max-ports", "12");
        cut.Find("[data-testid=options-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("maxPorts 12", cut.Find("[data-testid=options-saved]").TextContent));
    }

    [Fact]
    public void SettingsPage_LetsEncrypt_ShowsModeDomainFormAndTheSocksForm()
    {
        _settings.Settings = _settings.Settings with
        {
            Tls = ConfiguredTls.LetsEncrypt, AcmeEmail = "ops@example.com",
            Socks = new SocksConfig { Port = 1080, Allow = ["10.1.0.0/16", "*.corp.example"] },
        };
        var cut = Render<SettingsPage>();
        Assert.Equal("spokes.example.com", cut.Find("[data-testid=domain]").TextContent);
        Assert.Contains("Let's Encrypt", cut.Find("[data-testid=tls-mode]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=domain-apply]"));
        Assert.Equal("1080", Input(cut, "socks-port").GetAttribute("value"));
        Assert.Contains("*.corp.example", Input(cut, "socks-allow").TextContent + Input(cut, "socks-allow").GetAttribute("value"));
    }

    [Fact]
    public void DomainForm_Applied_MovesTheConsoleToTheNewName()
    {
        var navigation = Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>();
        navigation.NavigateTo("https://spokes.example.com:8443/settings");
        var cut = Render<DomainForm>(p => p.Add(c => c.Domain, "spokes.example.com"));
        Fill(cut, "domain-name", "edge.example.org");
        cut.Find("[data-testid=domain-apply]").Click();
        cut.WaitForAssertion(() => Assert.Equal("https://edge.example.org:8443/settings", navigation.Uri));
        Assert.Equal([("edge.example.org", false)], _settings.DomainCalls);
    }

    [Fact]
    public void DomainForm_FailedCheck_ShowsTheReasonAndStays()
    {
        _settings.DomainResult = Outcome<DomainSettingsReply>.Failure("edge.example.org resolves to 192.0.2.7, which is not an address of this node");
        var navigation = Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>();
        navigation.NavigateTo("https://spokes.example.com:8443/settings");
        var cut = Render<DomainForm>(p => p.Add(c => c.Domain, "spokes.example.com"));
        Fill(cut, "domain-name", "edge.example.org");
        cut.Find("[data-testid=domain-apply]").Click();
        cut.WaitForAssertion(() => Assert.Contains("not an address of this node", cut.Find("[data-testid=domain-error]").TextContent));
        Assert.Equal("https://spokes.example.com:8443/settings", navigation.Uri);
    }

    [Fact]
    public void RuleManager_MonitoredServices_ShowStateAndSince()
    {
        var since = new DateTimeOffset(2026, 12, 2, 7, 40, 0, TimeSpan.Zero);
        var services = ImmutableDictionary<string, ServiceState>.Empty
            .Add("http:app.example.com", new ServiceState("http:app.example.com", true, since))
            .Add("tcp:22001", new ServiceState("tcp:22001", false, since));
        _rules.Rules = Outcome<TunnelRulesDto>.Success(new TunnelRulesDto("t1", true, "", [FakeRules.WebRule], [FakeRules.Port(22001, "db:5432")],
            Services: services));
        var cut = RenderRules();
        var rows = cut.FindAll("[data-testid=service-row]");
        Assert.Equal(2, rows.Count);
        Assert.Contains("online", rows[0].TextContent);
        Assert.Contains("tcp:22001", rows[1].TextContent);
        Assert.Contains("unavailable", rows[1].TextContent);
        Assert.Contains("2026-12-02 07:40:00 UTC", rows[1].TextContent);
    }

    [Fact]
    public void RuleManager_NotMonitored_NoServicesCard()
    {
        _rules.Rules = FakeRules.Online([FakeRules.WebRule], []);
        Assert.Empty(RenderRules().FindAll("[data-testid=service-table]"));
    }

    [Fact]
    public void TunnelOptions_MonitorSwitchAndInterval_AreSent()
    {
        var cut = Render<TunnelOptionsForm>(p => p.Add(c => c.MaxPoolSize, 5).Add(c => c.MaxPorts, 5));
        Input(cut, "monitor").Change(true);
        Fill(cut, "monitor-interval", "30");
        cut.Find("[data-testid=options-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("monitor on every 30 s", cut.Find("[data-testid=options-saved]").TextContent));
        Assert.Equal((true, 30), Assert.Single(_settings.MonitorCalls));
    }

    [Fact]
    public void SocksForm_Apply_SendsEveryEntryAndShowsWhatIsInForce()
    {
        var cut = Render<SocksForm>(p => p.Add(c => c.Socks, new SocksConfig()).Add(c => c.Domain, "spokes.example.com"));
        Fill(cut, "socks-port", "1080");
        Fill(cut, "socks-allow", "10.1.0.0/16, db.internal\n*.corp.example");
        cut.Find("[data-testid=socks-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("port 1080", cut.Find("[data-testid=socks-saved]").TextContent));
        var call = Assert.Single(_settings.SocksCalls);
        Assert.Equal((1080, 0), (call.Port, call.TlsPort));
        Assert.Equal(["10.1.0.0/16", "db.internal", "*.corp.example"], call.Allow);
    }

    [Fact]
    public void SocksForm_Refused_ShowsTheReason()
    {
        _settings.SocksResult = Outcome<SocksSettingsReply>.Failure("port 8443 is this node's listen.https");
        var cut = Render<SocksForm>(p => p.Add(c => c.Socks, new SocksConfig()).Add(c => c.Domain, "spokes.example.com"));
        Fill(cut, "socks-port", "8443");
        cut.Find("[data-testid=socks-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("listen.https", cut.Find("[data-testid=socks-error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=socks-saved]"));
    }

    [Theory]
    [InlineData(true, "", ConfiguredTls.LetsEncrypt)]
    [InlineData(false, "/etc/spokes/cert.pem", ConfiguredTls.CustomCertificate)]
    [InlineData(false, "", ConfiguredTls.SelfSigned)]
    public void ServerSettings_ModeOf_FollowsTheTlsSection(bool useLe, string certificate, ConfiguredTls mode) =>
        Assert.Equal(mode, ServerSettings.ModeOf(new TlsConfig { UseLE = useLe, Certificate = certificate }));

    [Theory]
    [InlineData("db:5432", "db", "5432")]
    [InlineData("[::1]:80", "[::1]", "80")]
    [InlineData("", "", "")]
    public void FormPorts_Split_SeparatesHostAndPort(string destination, string host, string port) =>
        Assert.Equal((host, port), FormPorts.Split(destination));
}
