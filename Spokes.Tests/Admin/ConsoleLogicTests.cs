using Spokes.Actors.Access;
using Spokes.Admin.Components.Shared;
using Spokes.Admin.Components.Tunnels;
using Spokes.Admin.Endpoints;
using Spokes.Admin.Hosting;
using Spokes.Admin.Security;

namespace Spokes.Tests.Admin;

public sealed class ConsoleLogicTests
{
    private static readonly Microsoft.AspNetCore.DataProtection.IDataProtectionProvider Protection =
        new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider();

    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TotpCodes_CodeOfNeighbourStep_MatchesThatStep()
    {
        var secret = TotpCodes.NewSecret();
        var step = T0.ToUnixTimeSeconds() / TotpCodes.StepSeconds;
        Assert.Equal(step, TotpCodes.MatchStep(secret, TotpCodes.CodeAt(secret, T0), T0));
        Assert.Equal(step + 1, TotpCodes.MatchStep(secret, TotpCodes.CodeAt(secret, T0.AddSeconds(30)), T0));
        Assert.Null(TotpCodes.MatchStep(secret, TotpCodes.CodeAt(secret, T0.AddSeconds(90)), T0));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("12a456")]
    [InlineData("1234567")]
    public void TotpCodes_Malformed_NeverMatches(string? code) =>
        Assert.Null(TotpCodes.MatchStep(TotpCodes.NewSecret(), code, T0));

    [Fact]
    public void TotpCodes_Rfc6238Vector_Matches()
    {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" at T=59 → 94287082 (8 digits); last 6: 287082.
        var secret = OtpNet.Base32Encoding.ToString("12345678901234567890"u8.ToArray());
        Assert.Equal("287082", TotpCodes.CodeAt(secret, DateTimeOffset.FromUnixTimeSeconds(59)));
    }

    [Fact]
    public void TotpCodes_Uri_CarriesIssuerAccountAndSecret()
    {
        var uri = TotpCodes.OtpAuthUri("ops@example.com", "ABCDEF", "spokes.example.com");
        Assert.Equal("otpauth://totp/spokes.example.com:ops%40example.com?secret=ABCDEF&issuer=spokes.example.com&algorithm=SHA1&digits=6&period=30", uri);
        Assert.StartsWith("data:image/png;base64,", TotpCodes.QrDataUrl(uri));
    }

    [Fact]
    public void Throttle_AfterTheFreeFailures_EachWaitDoubles_UpToTheCap_ThenForgotten()
    {
        var state = SignInThrottleState.Empty;
        for (var i = 0; i < 2; i++) state = state.Fail(ThrottleScope.Pair, T0);
        Assert.Null(state.RetryAfter(T0));
        state = state.Fail(ThrottleScope.Pair, T0);
        Assert.Equal(TimeSpan.FromSeconds(1), state.RetryAfter(T0));
        state = state.Fail(ThrottleScope.Pair, T0);
        Assert.Equal(TimeSpan.FromSeconds(2), state.RetryAfter(T0));
        for (var i = 0; i < 30; i++) state = state.Fail(ThrottleScope.Pair, T0);
        Assert.Equal(TimeSpan.FromMinutes(15), state.RetryAfter(T0));
        Assert.Null(state.RetryAfter(T0.AddMinutes(16)));
        Assert.Equal(1, state.Fail(ThrottleScope.Pair, T0.AddMinutes(31)).Failures);
    }

    [Fact]
    public void Throttle_AnAccountOverAllAddresses_WaitsAtMostAMinute_NeverLockedOut()
    {
        var state = SignInThrottleState.Empty;
        for (var i = 0; i < 200; i++) state = state.Fail(ThrottleScope.Account, T0);
        Assert.Equal(TimeSpan.FromMinutes(1), state.RetryAfter(T0));
        Assert.Null(state.RetryAfter(T0.AddSeconds(61)));
    }

    [Fact]
    public async Task Guard_FailuresFromOneAddress_DelayIt_NotTheSameAccountFromAnother()
    {
        var guard = new FakeSignInGuard(new ManualTime(T0));
        for (var i = 0; i < 5; i++) await guard.FailedAsync("Ops@Example.com", "10.0.0.1");
        Assert.NotNull(await guard.RetryAfterAsync("ops@example.com", "10.0.0.1"));
        Assert.Null(await guard.RetryAfterAsync("ops@example.com", "10.0.0.2"));
    }

    [Theory]
    [InlineData("/tokens", "/tokens")]
    [InlineData("/", "/")]
    [InlineData("//evil.example.com", null)]
    [InlineData("/\\evil.example.com", null)]
    [InlineData("https://evil.example.com/", null)]
    [InlineData("", null)]
    [InlineData("/\t/evil.example/", null)]
    [InlineData("/\n/evil.example/", null)]
    [InlineData("/ok\r\nSet-Cookie: x=1", null)]
    [InlineData("/tunnels?id=a%2Fb", "/tunnels?id=a%2Fb")]
    [InlineData("/t\u00e9st", null)]
    public void LocalUrl_OnlySameSitePaths(string url, string? expected) => Assert.Equal(expected, AccountEndpoints.LocalUrl(url));

    [Fact]
    public async Task FirstRun_WithoutSecret_IsClosed()
    {
        var run = new FirstRun(new ConsoleOptions { AdminSecret = null }, new FakeAccounts(), new FakeSignInGuard(TimeProvider.System), Protection);
        Assert.False(await run.IsOpenAsync());
        Assert.False((await run.UnlocksAsync("", "10.0.0.1")).Ok);
    }

    [Fact]
    public async Task FirstRun_AdminExists_IsClosedAndCreatesNothing()
    {
        var accounts = new FakeAccounts { AdminExists = true };
        var run = new FirstRun(new ConsoleOptions { AdminSecret = "s" }, accounts, new FakeSignInGuard(TimeProvider.System), Protection);
        Assert.False(await run.IsOpenAsync());
        Assert.NotNull(await run.CreateAdminAsync(new SetupForm { Secret = "s", Email = "a@b.c", Password = "12345678", Confirm = "12345678" }, "ip"));
        Assert.Empty(accounts.Calls);
    }

    [Fact]
    public async Task FirstRun_WrongSecrets_DelayThatAddress_TheRightSecretFromAnotherStillWorks()
    {
        var time = new ManualTime(T0);
        var run = new FirstRun(new ConsoleOptions { AdminSecret = "right" }, new FakeAccounts(), new FakeSignInGuard(time), Protection);
        Assert.True(await run.IsOpenAsync());
        for (var i = 0; i < 5; i++) Assert.False((await run.UnlocksAsync("wrong", "10.0.0.1")).Ok);
        Assert.NotNull((await run.UnlocksAsync("right", "10.0.0.1")).Wait);
        Assert.True((await run.UnlocksAsync("right", "10.0.0.2")).Ok);
        time.Now = T0.AddMinutes(20);
        Assert.True((await run.UnlocksAsync("right", "10.0.0.1")).Ok);
    }

    [Fact]
    public async Task FirstRun_Ticket_StandsForTheSecretFromThatAddressOnly()
    {
        var accounts = new FakeAccounts();
        var run = new FirstRun(new ConsoleOptions { AdminSecret = "right" }, accounts, new FakeSignInGuard(TimeProvider.System), Protection);
        var ticket = run.Ticket("10.0.0.1");
        Assert.DoesNotContain("right", ticket);

        var form = new SetupForm { Ticket = ticket, Email = "a@b.c", Password = "12345678", Confirm = "12345678" };
        Assert.Equal("this form expired: enter the admin secret again", await run.CreateAdminAsync(form, "10.0.0.2"));
        Assert.Equal("this form expired: enter the admin secret again",
            await run.CreateAdminAsync(new SetupForm { Ticket = ticket + "x", Email = "a@b.c", Password = "12345678", Confirm = "12345678" }, "10.0.0.1"));
        Assert.Empty(accounts.Calls);
        Assert.Null(await run.CreateAdminAsync(form, "10.0.0.1"));
        Assert.Single(accounts.Calls);
    }

    [Fact]
    public async Task FirstRun_PasswordsDiffer_Refused()
    {
        var accounts = new FakeAccounts();
        var run = new FirstRun(new ConsoleOptions { AdminSecret = "right" }, accounts, new FakeSignInGuard(TimeProvider.System), Protection);
        Assert.Equal("the passwords do not match", await run.CreateAdminAsync(
            new SetupForm { Secret = "right", Email = "a@b.c", Password = "12345678", Confirm = "12345679" }, "ip"));
        Assert.Empty(accounts.Calls);
    }

    [Fact]
    public void TunnelFilter_UserOnlineAndSearch_Combine()
    {
        var tunnels = new[]
        {
            Dtos.Tunnel("web.example.com", online: true, user: "alice"),
            Dtos.Tunnel("db.example.com", online: false, user: "alice"),
            Dtos.Tunnel("WEB2.example.com", online: true, user: "bob"),
            Dtos.Tunnel("", online: true, user: "carol") with { Domains = ["shop.carol.example", "api.carol.example"] },
        };
        Assert.Equal(2, new TunnelFilter(Search: "web").Apply(tunnels).Count);
        Assert.Equal("carol", Assert.Single(new TunnelFilter(Search: "API.carol").Apply(tunnels)).User);
        Assert.Single(new TunnelFilter(User: "alice", OnlineOnly: true).Apply(tunnels));
        Assert.Empty(new TunnelFilter(User: "bob", Search: "db").Apply(tunnels));
        Assert.Equal(["alice", "bob", "carol"], TunnelFilter.Users(tunnels));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GiB")]
    public void Format_Bytes(long bytes, string expected) => Assert.Equal(expected, Format.Bytes(bytes));

    [Theory]
    [InlineData(0, "B")]
    [InlineData(800, "B")]
    [InlineData(30_000, "KiB")]
    [InlineData(42L << 20, "MiB")]
    [InlineData(3L << 40, "TiB")]
    public void Format_UnitFor_TheChartScaleFitsSmallTraffic(long bytes, string unit) => Assert.Equal(unit, Format.UnitFor(bytes).Name);

    [Fact]
    public void AccountMessages_KnownAndUnknownCodes()
    {
        Assert.Null(AccountMessages.For(null));
        Assert.Contains("already used", AccountMessages.For("used"));
        Assert.Equal("Sign-in failed.", AccountMessages.For("<script>"));
    }
}
