using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Spokes.Actors.Access;
using Spokes.Actors.Gateway;
using Spokes.Actors.Users;
using Spokes.Admin.Components.AccountForms;
using Spokes.Admin.Hosting;
using Spokes.Admin.Security;
using Spokes.Admin.Services;

namespace Spokes.Tests.Admin;

/// <summary>Server-side console sessions: what the sessions entity keeps, what the validator lets through (an open
/// session of the cookie's stamp, within its lifetime and idle time), and the Account page's list.</summary>
public sealed class ConsoleSessionTests : BunitContext, IAsyncLifetime
{
    private const string UserId = "u-ops";
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeAccounts _accounts = new() { User = UserState.Empty with { Id = UserId, Email = "ops@example.com", Origin = "Admin CLI" } };
    private readonly FakeConsoleSessions _sessions;
    private readonly ConsoleOptions _options = new() { SessionIdle = TimeSpan.FromMinutes(30), SessionLifetime = TimeSpan.FromHours(2) };

    public ConsoleSessionTests()
    {
        _sessions = new FakeConsoleSessions(_time);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IAccountService>(_accounts);
        Services.AddSingleton<IConsoleSessions>(_sessions);
        Services.AddSingleton(_options);
        Services.AddSingleton<TimeProvider>(_time);
        Services.AddSingleton<IMemoryCache>(new MemoryCache(new MemoryCacheOptions()));
        Services.AddSingleton<SessionValidator>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();

    private void Advance(TimeSpan by) => _time.Now += by;

    private SessionValidator Validator => Services.GetRequiredService<SessionValidator>();

    private static ClaimsPrincipal Cookie(string sessionId, int stamp = 0) =>
        ConsoleClaims.Session(UserState.Empty with { Id = UserId, Email = "ops@example.com", SecurityStamp = stamp }, sessionId);

    [Fact]
    public async Task Validator_AnOpenSession_Passes_AnEndedOne_OneWithoutId_OrAnOldStamp_DoNot()
    {
        var id = await _sessions.StartAsync(UserId, 0, "127.0.0.1", "Chromium", "t");
        Assert.True(await Validator.IsCurrentAsync(Cookie(id)));
        Assert.False(await Validator.IsCurrentAsync(Cookie(id, stamp: 1)));
        var withoutSession = new ClaimsPrincipal(new ClaimsIdentity(Cookie(id).Claims.Where(c => c.Type != ConsoleClaims.SessionId), "x"));
        Assert.False(await Validator.IsCurrentAsync(withoutSession));

        await _sessions.EndAsync(UserId, id, "signed out", "t");
        Validator.Forget(UserId);
        Assert.False(await Validator.IsCurrentAsync(Cookie(id)));
    }

    [Fact]
    public async Task Validator_IdleTooLong_OrPastTheLifetime_Refuses_UseKeepsItWithinBoth()
    {
        var id = await _sessions.StartAsync(UserId, 0, "127.0.0.1", "Chromium", "t");
        // Used every 20 minutes (idle 30): alive, and each use noted, until the 2 h lifetime ends it.
        for (var minutes = 20; minutes < 120; minutes += 20)
        {
            Advance(TimeSpan.FromMinutes(20));
            Validator.Forget(UserId);
            Assert.True(await Validator.IsCurrentAsync(Cookie(id)), $"refused after {minutes} min");
        }
        Assert.True(_sessions.Touched.Count >= 5);
        Advance(TimeSpan.FromMinutes(21)); // 121 min after sign-in, 21 after the last use: the lifetime ends it
        Validator.Forget(UserId);
        Assert.False(await Validator.IsCurrentAsync(Cookie(id)));

        var idle = await _sessions.StartAsync(UserId, 0, "127.0.0.1", "Chromium", "t");
        Advance(TimeSpan.FromMinutes(31));
        Validator.Forget(UserId);
        Assert.False(await Validator.IsCurrentAsync(Cookie(idle)));
    }

    [Fact]
    public void State_KeepsAtMostMaxSessions_DropsOldOnes_EndIsIdempotent()
    {
        var state = ConsoleSessionsState.Empty;
        var at = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        ConsoleSessionsState Run(IConsoleSessionMessage m, DateTimeOffset now) => state.Decide(m, now).Events.Aggregate(state, (s, e) => s.Apply(e));
        for (var i = 0; i < ConsoleSessionsState.MaxSessions + 5; i++)
            state = Run(new StartConsoleSession(UserId, $"session-{i:D4}-0123456789", 0, "a", "b", "t"), at.AddMinutes(i));
        Assert.Equal(ConsoleSessionsState.MaxSessions, state.Sessions.Count);
        Assert.DoesNotContain("session-0000-0123456789", state.Sessions.Keys);
        state = Run(new StartConsoleSession(UserId, "late-session-0123456789", 0, "a", "b", "t"), at + ConsoleSessionsState.MaxAge + TimeSpan.FromDays(1));
        Assert.Single(state.Sessions);
        Assert.Empty(state.Decide(new EndConsoleSession(UserId, "unknown-session-012345", "x", "t"), at).Events);
        Assert.IsType<Spokes.Actors.Entities.Refusal>(state.Decide(new StartConsoleSession(UserId, "short", 0, "a", "b", "t"), at).Reply);
    }

    [Fact]
    public async Task SessionsCard_ListsEveryLiveSession_MarksThisOne_EndsAnother()
    {
        var mine = await _sessions.StartAsync(UserId, 0, "127.0.0.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", "t");
        Advance(TimeSpan.FromMinutes(1));
        var other = await _sessions.StartAsync(UserId, 0, "127.0.0.2", "curl/8.11", "t");
        await _sessions.StartAsync(UserId, 7, "192.0.2.9", "curl/8.11", "t"); // of another stamp: dead, not listed
        var auth = AddAuthorization();
        auth.SetAuthorized("ops@example.com");
        auth.SetClaims([.. Cookie(mine).Claims]);

        var cut = Render<SessionsCard>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=session-row]").Count));
        Assert.Contains("Chrome Safari", cut.Markup);
        Assert.DoesNotContain("192.0.2.9", cut.Markup);
        Assert.Contains("127.0.0.2", cut.FindAll("[data-testid=session-row]")[0].TextContent);
        Assert.Single(cut.FindAll("[data-testid=session-current]"));
        cut.Find("[data-testid=session-end]").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=session-row]")));
        Assert.Equal([(other, "ended on the Account page")], _sessions.Ended);
    }
}
