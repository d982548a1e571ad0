using System.Collections.Immutable;
using Bunit;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Spokes.Actors.Gateway;
using Spokes.Admin.Components.AccountForms;
using Spokes.Admin.Components.Pages;
using Spokes.Admin.Components.Tokens;
using Spokes.Admin.Security;
using Spokes.Admin.Services;

namespace Spokes.Tests.Admin;

public sealed class ComponentTests : BunitContext, IAsyncLifetime
{
    private readonly FakeTokens _tokens = new();
    private readonly FakeAuditLog _audit = new();
    private readonly FakeDirectory _directory = new();
    private readonly FakeAccounts _accounts = new();

    public ComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<ITokenService>(_tokens);
        Services.AddSingleton<IAuditLog>(_audit);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<ITunnelDirectory>(_directory);
        Services.AddSingleton<IAccountService>(_accounts);
        Services.AddSingleton<IMemoryCache>(new MemoryCache(new MemoryCacheOptions()));
        Services.AddSingleton<Spokes.Actors.Access.IConsoleSessions>(new FakeConsoleSessions(TimeProvider.System));
        Services.AddSingleton(new Spokes.Admin.Hosting.ConsoleOptions());
        Services.AddSingleton<SessionValidator>();
        Services.AddSingleton<Spokes.Actors.Access.ISignInGuard>(new FakeSignInGuard(TimeProvider.System));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously.
    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();

    [Fact]
    public void RegistrationTokens_None_ShowsEmptyState()
    {
        var cut = Render<RegistrationTokens>();
        Assert.Contains("No registration tokens yet", cut.Find("[data-testid=reg-empty]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=reg-table]"));
    }

    [Fact]
    public void RegistrationTokens_ClusterUnavailable_ShowsError()
    {
        _tokens.Registrations = Outcome<ImmutableList<RegistrationDto>>.Failure("the cluster did not answer in time");
        var cut = Render<RegistrationTokens>();
        Assert.Contains("did not answer", cut.Find("[data-testid=error]").TextContent);
    }

    [Fact]
    public void RegistrationTokens_CreateRefused_ShowsRefusalAndNoValue()
    {
        _tokens.Created = Outcome<AdminSecretCreated>.Failure("the description is longer than 200 characters");
        var cut = Render<RegistrationTokens>();
        cut.Find("[data-testid=reg-create]").Click();
        cut.WaitForAssertion(() => Assert.Contains("longer than 200", cut.Find("[data-testid=error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=created-value]"));
    }

    [Fact]
    public void RegistrationTokens_Created_ShowsValueOnce()
    {
        var cut = Render<RegistrationTokens>();
        cut.Find("[data-testid=reg-create]").Click();
        cut.WaitForAssertion(() => Assert.Equal(40, cut.Find("[data-testid=created-value]").TextContent.Length));
        Assert.Single(_tokens.Calls);
    }

    [Fact]
    public void SecretValue_TruncatedUntilRevealed_CopiedWithOneClick()
    {
        const string value = "8f48a583957fc7f75e8596c8472e4665aa00bb11";
        var cut = Render<SecretValue>(p => p.Add(c => c.Value, value));
        Assert.Equal("8f48a583…", cut.Find("[data-testid=secret-text]").TextContent);
        Assert.DoesNotContain(value, cut.Markup);
        cut.Find("[data-testid=secret-reveal] button, button[data-testid=secret-reveal]").Click();
        Assert.Equal(value, cut.Find("[data-testid=secret-text]").TextContent);
        cut.Find("[data-testid=secret-copy] button, button[data-testid=secret-copy]").Click();
        var copied = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal(value, copied.Arguments[0]);
        Assert.NotNull(cut.Find("[data-testid=secret-copied]"));
    }

    [Fact]
    public void RegistrationTokens_UsesAndDays_GoWithTheCreation_AndTheTableShowsThem()
    {
        _tokens.Registrations = Outcome<ImmutableList<RegistrationDto>>.Success(
            [new RegistrationDto("r1", DateTimeOffset.UnixEpoch, "laptops", "value", true, 2, 10, new DateTimeOffset(2027, 1, 2, 3, 4, 0, TimeSpan.Zero))]);
        var cut = Render<RegistrationTokens>();
        Assert.Equal("2/10", cut.Find("[data-testid=reg-uses-cell]").TextContent);
        Assert.Contains("2027-01-02 03:04 UTC", cut.Find("[data-testid=reg-table]").TextContent);
        cut.Find("input[data-testid=reg-uses]").Change("5");
        cut.Find("input[data-testid=reg-days]").Change("7");
        cut.Find("[data-testid=reg-create]").Click();
        cut.WaitForAssertion(() => Assert.EndsWith("uses 5 days 7", Assert.Single(_tokens.Calls)));
    }

    [Fact]
    public void ApiKeys_CreateWithScope_ShowsTheValueOnce_ListsActiveKeysWithoutValues()
    {
        _tokens.ApiKeys = Outcome<ImmutableList<ApiKeyDto>>.Success(
        [
            new ApiKeyDto("0123456789abcdef", DateTimeOffset.UnixEpoch, "read", "prometheus", "cli", true),
            new ApiKeyDto("fedcba9876543210", DateTimeOffset.UnixEpoch, "admin", "old", "cli", false),
        ]);
        var cut = Render<ApiKeys>();
        var table = cut.Find("[data-testid=apikey-table]").TextContent;
        Assert.Contains("prometheus", table);
        Assert.DoesNotContain("old", table);
        cut.Find("input[data-testid=apikey-description]").Change("grafana");
        cut.Find("[data-testid=apikey-create]").Click();
        cut.WaitForAssertion(() => Assert.Contains("create-apikey read grafana", Assert.Single(_tokens.Calls)));
        cut.WaitForAssertion(() => Assert.Contains("spk_secret", cut.Markup));
    }

    [Fact]
    public void Audit_PagesNewestFirst_FiltersByWhoAndWhat_AndPeriodAsksAgain()
    {
        var now = DateTimeOffset.UtcNow;
        _audit.Entries = Enumerable.Range(0, 120).Select(i => new AuditDto(now.AddMinutes(-i), $"token-{i}",
            i % 3 == 0 ? "console jane@example.com" : "cli", i % 2 == 0 ? $"auth token t{i} created" : $"tunnel x{i} shut down")).ToImmutableList();
        var cut = Render<Audit>();
        Assert.Equal(Audit.PageSize, cut.FindAll("[data-testid=audit-row]").Count);
        Assert.Contains("120 entries", cut.Find("[data-testid=audit-count]").TextContent);
        Assert.Contains("auth token t0 created", cut.FindAll("[data-testid=audit-row]")[0].TextContent);
        cut.Find("input[data-testid=audit-who], [data-testid=audit-who] input").Input("jane");
        cut.WaitForAssertion(() => Assert.Contains("40 entries", cut.Find("[data-testid=audit-count]").TextContent), TimeSpan.FromSeconds(5));
        cut.Find("input[data-testid=audit-what], [data-testid=audit-what] input").Input("created");
        cut.WaitForAssertion(() => Assert.Contains("20 entries", cut.Find("[data-testid=audit-count]").TextContent), TimeSpan.FromSeconds(5));
        Assert.All(cut.FindAll("[data-testid=audit-row]"), r => Assert.Contains("jane", r.TextContent));
        Assert.Contains("who=jane&what=created&period=7d", cut.Find("[data-testid=audit-export]").GetAttribute("href"));
        Assert.NotNull(_audit.Asked.Single());
    }

    [Fact]
    public void AuthTokens_OnlyRevoked_ShowsEmptyUntilRevokedAreShown()
    {
        _tokens.Tokens = Outcome<ImmutableList<TokenDto>>.Success(
            [new TokenDto("k1", DateTimeOffset.UnixEpoch, "", "0123456789abcdef", "old.example.com", "value", false)]);
        var cut = Render<AuthTokens>();
        Assert.NotNull(cut.Find("[data-testid=key-empty]"));
    }

    [Fact]
    public void Overview_NoTraffic_ShowsCountsAndEmptyChartText()
    {
        _directory.Overview = Outcome<OverviewDto>.Success(new OverviewDto(1, 2, 3, 0, 0, []));
        var cut = Render<Overview>();
        Assert.Equal("1", cut.Find("[data-testid=online]").TextContent);
        Assert.Equal("3", cut.Find("[data-testid=total]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=no-traffic]"));
    }

    [Fact]
    public void TunnelDetails_Unknown_ShowsErrorAndNoShutdown()
    {
        var cut = Render<TunnelDetails>(p => p.Add(c => c.Id, "0123456789abcdef"));
        Assert.Contains("not found", cut.Find("[data-testid=error]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=shutdown]"));
    }

    [Fact]
    public void TunnelDetails_AutoHostname_ShownOnlyWhenOn()
    {
        Services.AddSingleton<ITunnelRules>(new FakeRules());
        var tunnel = new TunnelDto("0123456789abcdef", "jack", "", false, "", 0, 0, 0, DateTimeOffset.UnixEpoch, "active", [], "");
        _directory.Details = Outcome<TunnelDetailsDto>.Success(new TunnelDetailsDto(tunnel with { AutoHostname = "abcdefghijklmnop.spokes.example.com" },
            "k1", 0, [], []));
        var cut = Render<TunnelDetails>(p => p.Add(c => c.Id, tunnel.Id));
        Assert.Contains("abcdefghijklmnop.spokes.example.com", cut.Find("[data-testid=auto-hostname]").TextContent);

        _directory.Details = Outcome<TunnelDetailsDto>.Success(new TunnelDetailsDto(tunnel, "k1", 0, [], []));
        Assert.Empty(Render<TunnelDetails>(p => p.Add(c => c.Id, tunnel.Id)).FindAll("[data-testid=auto-hostname]"));
    }

    [Fact]
    public void TunnelStatus_Offline_SaysWhenLastSeen()
    {
        var tunnel = new TunnelDto("0123456789abcdef", "jack", "", false, "", 0, 0, 0, DateTimeOffset.UnixEpoch, "active", [], "");
        Assert.Equal("never connected", Render<Spokes.Admin.Components.Tunnels.TunnelStatus>(p => p.Add(c => c.Tunnel, tunnel)).Find("[data-testid=last-seen]").TextContent);
        var seen = Render<Spokes.Admin.Components.Tunnels.TunnelStatus>(p => p.Add(c => c.Tunnel, tunnel with { LastSeen = DateTimeOffset.UtcNow.AddHours(-3).AddMinutes(-12) }));
        Assert.Equal("last seen 3h 12m ago", seen.Find("[data-testid=last-seen]").TextContent);
        Assert.Empty(Render<Spokes.Admin.Components.Tunnels.TunnelStatus>(p => p.Add(c => c.Tunnel, tunnel with { Online = true })).FindAll("[data-testid=last-seen]"));
    }

    [Fact]
    public void PasswordForm_Mismatch_RefusedWithoutCallingTheService()
    {
        var cut = Render<PasswordForm>();
        cut.Find("[data-testid=pw-new] input, input[data-testid=pw-new]").Change("new-password-1");
        cut.Find("[data-testid=pw-confirm] input, input[data-testid=pw-confirm]").Change("new-password-2");
        cut.Find("[data-testid=pw-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("do not match", cut.Find("[data-testid=error]").TextContent));
        Assert.Empty(_accounts.Calls);
    }

    [Fact]
    public void PasswordForm_WrongCurrentPasswords_LeadToAWait_DuringWhichTheServiceIsNotAsked()
    {
        var auth = AddAuthorization();
        auth.SetAuthorized("ops@example.com");
        auth.SetClaims(new System.Security.Claims.Claim(ConsoleClaims.UserId, "u-ops"), new System.Security.Claims.Claim(ConsoleClaims.Email, "ops@example.com"));
        var cut = Render<PasswordForm>();
        var waited = false;
        for (var i = 1; i <= 12 && !waited; i++)
        {
            Attempt(cut, "guess-" + i);
            var error = cut.Find("[data-testid=error]").TextContent;
            Assert.Matches("current password is wrong|try again in", error);
            waited = error.Contains("try again in", StringComparison.Ordinal);
        }

        Assert.True(waited, "wrong current passwords must lead to a wait");
        var calls = _accounts.Calls.Count;
        Attempt(cut, "one more");
        Assert.Contains("try again in", cut.Find("[data-testid=error]").TextContent);
        Assert.Equal(calls, _accounts.Calls.Count);
    }

    private static void Attempt(IRenderedComponent<PasswordForm> cut, string current)
    {
        cut.Find("[data-testid=pw-current] input, input[data-testid=pw-current]").Change(current);
        cut.Find("[data-testid=pw-new] input, input[data-testid=pw-new]").Change("new-password-1");
        cut.Find("[data-testid=pw-confirm] input, input[data-testid=pw-confirm]").Change("new-password-1");
        cut.Find("[data-testid=pw-save]").Click();
    }
}
