using Akka.Actor;
using Microsoft.Playwright;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;
using Spokes.Admin.Security;
using Spokes.Admin.Services;
using static Microsoft.Playwright.Assertions;

namespace Spokes.Tests.Admin;

/// <summary>The console in a real browser against a real node: first run, 2FA sign-in and its refusals,
/// tokens, tunnels and their shutdown, sign-out. One scenario, because each step needs the previous one.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleBrowserTests
{
    private const string AdminSecret = "first-run-secret-4711";
    private const string Email = "ops@example.com";
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Console_FirstRunTwoFactorTokensTunnelsAndSignOut()
    {
        await using var host = await ConsoleTestHost.StartAsync(AdminSecret);
        await using var browser = await Browser.OpenAsync(host.Address);
        var page = browser.Page;

        // First run: the secret unlocks the form that creates the first admin, with 2FA on.
        await page.GotoAsync("/account/login");
        await browser.ScreenshotAsync("login");
        await browser.ByTestId("configure").ClickAsync();
        await browser.Input("secret").FillAsync("not-the-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await Expect(browser.ByTestId("error")).ToContainTextAsync("secret is wrong");
        await browser.Input("secret").FillAsync(AdminSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await browser.Input("email").FillAsync(Email);
        // The second step carries a signed ticket, never the secret itself.
        Assert.DoesNotContain(AdminSecret, await page.ContentAsync());
        // A validation error does not send the typed passwords back in the page.
        await browser.Input("password").FillAsync(Password);
        await browser.Input("confirm").FillAsync(Password + "x");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await Expect(browser.ByTestId("error")).ToContainTextAsync("passwords do not match");
        Assert.DoesNotContain(Password, await page.ContentAsync());
        Assert.DoesNotContain(AdminSecret, await page.ContentAsync());
        await browser.Input("fullname").FillAsync("Olga Ops");
        await browser.Input("password").FillAsync(Password);
        await browser.Input("confirm").FillAsync(Password);
        await browser.Input("twofactor").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await page.WaitForURLAsync("**/account/login?setup=done");
        await Expect(browser.ByTestId("configure")).ToHaveCountAsync(0);
        Assert.Equal(404, (await browser.Context.APIRequest.GetAsync("/account/setup")).Status);

        // Wrong password, then the enrolment: QR code and the key to type by hand.
        await SignInAsync(browser, Password + "x");
        await Expect(browser.ByTestId("error")).ToContainTextAsync("Wrong email or password");
        await SignInAsync(browser, Password);
        await page.WaitForURLAsync("**/account/enrol");
        await Expect(browser.ByTestId("qr")).ToBeVisibleAsync();
        var secret = (await browser.ByTestId("totp-secret").InnerTextAsync()).Trim();
        await browser.ScreenshotAsync("enrol");
        await SubmitCodeAsync(browser, TotpCodes.CodeAt(secret, DateTimeOffset.UtcNow.AddMinutes(10)));
        await Expect(browser.ByTestId("error")).ToContainTextAsync("The code is wrong");
        var enrolCode = TotpCodes.CodeAt(secret, DateTimeOffset.UtcNow);
        await SubmitCodeAsync(browser, enrolCode);
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Email);
        await Expect(browser.ByTestId("total")).ToHaveTextAsync("0");
        await Expect(browser.ByTestId("no-traffic")).ToBeVisibleAsync();

        // Sign out: a copy of the session cookie taken before is refused afterwards (the session ended on the
        // server, not just in this browser). Signing in again refuses the code already used, accepts the next step's.
        var copied = string.Join("; ", (await browser.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        Assert.Equal(Email, await WhoAmIAsync(host.Address, copied));
        await SignOutAsync(browser);
        Assert.Equal("", await WhoAmIAsync(host.Address, copied));
        await SignInAsync(browser, Password);
        await page.WaitForURLAsync("**/account/code");
        await SubmitCodeAsync(browser, enrolCode);
        await Expect(browser.ByTestId("error")).ToContainTextAsync("already used");
        await SubmitCodeAsync(browser, TotpCodes.CodeAt(secret, DateTimeOffset.UtcNow.AddSeconds(TotpCodes.StepSeconds)));
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Email);

        // The door's events are in the audit trail (summed per minute; flushed here), never a secret or a code.
        host.Get<Spokes.Actors.Access.ConsoleSecurityLog>().Flush();
        var door = await Spokes.Tests.DataPlane.Testbed.Expect.Within(TimeSpan.FromSeconds(20)).That("the sign-in events audited", async () =>
            string.Join("\n", ((AuditReply)await host.Get<AdminOperations>().HandleAsync(new AuditRequest(null), "test")).Entries.Select(e => e.Event)),
            text => text.Contains("wrong ADMIN_SECRET", StringComparison.Ordinal));
        Assert.Contains($"failed sign-in(s) for {Email}", door);
        Assert.Contains($"wrong two-factor code(s) for {Email}", door);
        Assert.Contains($"replayed two-factor code(s) for {Email}", door);
        Assert.Contains($"sign-in(s) for {Email}", door);
        Assert.DoesNotContain("not-the-secret", door);
        Assert.DoesNotContain(enrolCode, door);

        // Tokens: a registration token, and an auth token (which opens a tunnel).
        await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
        await Expect(browser.ByTestId("reg-empty")).ToBeVisibleAsync();
        await browser.Input("reg-description").FillAsync("office laptops");
        await browser.ByTestId("reg-create").ClickAsync();
        await Expect(browser.ByTestId("created-value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9a-f]{40}$"));
        await Expect(browser.ByTestId("reg-table")).ToContainTextAsync("office laptops");
        await browser.Input("key-hostname").FillAsync("demo.example.com");
        await browser.ByTestId("key-create").ClickAsync();
        await Expect(browser.ByTestId("key-table")).ToContainTextAsync("demo.example.com");
        await browser.ScreenshotAsync("tokens");

        // Overview: counts and the chart follow the tunnel's bandwidth (refreshed by the page's timer).
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(browser.ByTestId("total")).ToHaveTextAsync("1");
        var tunnel = (await host.Get<ITunnelDirectory>().ListAsync(false)).Value!.Single();
        await host.Get<Spokes.Actors.Store.TrafficStore>().WriteAsync([(tunnel.Id, new ConnectionRecord(DateTimeOffset.UtcNow,
            "http:demo.example.com", "192.0.2.1:4000", 42L << 20, 0, 10, "test"))]);
        await Expect(browser.ByTestId("daily")).ToHaveTextAsync("42.0 MiB");
        await Expect(page.Locator("svg.mud-chart-bar")).ToBeVisibleAsync();
        await Expect(browser.ByTestId("chart-unit")).ToHaveTextAsync("in MiB");
        await browser.ScreenshotAsync("overview");

        // Tunnels: listed, searchable, and shut down after a confirmation.
        await page.GetByRole(AriaRole.Link, new() { Name = "Tunnels" }).ClickAsync();
        await Expect(browser.ByTestId("tunnel-table")).ToContainTextAsync("demo.example.com");
        await browser.Input("search").FillAsync("nothing-like-it");
        await Expect(browser.ByTestId("tunnel-empty")).ToBeVisibleAsync();
        await browser.Input("search").FillAsync("demo");
        await Expect(browser.ByTestId("tunnel-table")).ToContainTextAsync("offline");
        await browser.ScreenshotAsync("tunnels");
        await browser.ByTestId("tunnel-link").ClickAsync();
        await Expect(browser.ByTestId("hostname")).ToHaveTextAsync("demo.example.com");
        await browser.ScreenshotAsync("tunnel-details");
        var tunnelPath = new Uri(page.Url).AbsolutePath;
        // An id no tunnel has is an address the console does not serve.
        Assert.Equal(404, (await browser.Context.APIRequest.GetAsync("/tunnels/doesnotexist")).Status);
        Assert.Equal(200, (await browser.Context.APIRequest.GetAsync(new Uri(page.Url).AbsolutePath)).Status);
        await browser.ByTestId("shutdown").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(browser.ByTestId("status")).ToHaveTextAsync("offline");
        await browser.ByTestId("shutdown").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Shut down" }).ClickAsync();
        await Expect(browser.ByTestId("status")).ToHaveTextAsync("shut down");
        await Expect(browser.ByTestId("shutdown")).ToHaveCountAsync(0);

        // Tokens again: edit a description, deactivate; the shut-down tunnel's auth token is inactive.
        await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await browser.Input("reg-edit-text").FillAsync("build agents");
        await browser.ByTestId("reg-save").ClickAsync();
        await Expect(browser.ByTestId("reg-table")).ToContainTextAsync("build agents");
        await browser.ByTestId("reg-table").Locator("input[type=checkbox]").UncheckAsync();
        await Expect(browser.ByTestId("reg-table").Locator("input[type=checkbox]")).Not.ToBeCheckedAsync();
        // The switch flips at once; the deactivation reaches the entity a moment later.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await host.Get<ITokenService>().ListRegistrationsAsync()).Value!.Single().Active && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.False((await host.Get<ITokenService>().ListRegistrationsAsync()).Value!.Single().Active);
        // Shutting the tunnel down deactivated its auth token: no active token is left to revoke.
        await Expect(browser.ByTestId("key-empty")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke" })).ToHaveCountAsync(0);

        // The other pages render for the screenshots.
        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Expect(browser.ByTestId("users-table")).ToContainTextAsync(Email);
        await browser.ScreenshotAsync("users");
        await page.GetByRole(AriaRole.Link, new() { Name = "Cluster" }).ClickAsync();
        await Expect(browser.ByTestId("nodes-table")).ToContainTextAsync("this node");
        await browser.ScreenshotAsync("cluster");
        // Audit: what this session did, as the signed-in operator; filtered; exported as JSON with the same filter.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        await Expect(browser.ByTestId("audit-table")).ToContainTextAsync("console " + Email);
        await browser.Input("audit-what").FillAsync("build agents");
        await Expect(browser.ByTestId("audit-count")).ToHaveTextAsync("1 entry");
        await browser.ScreenshotAsync("audit");
        var export = await browser.Context.APIRequest.GetAsync("/audit/export?what=shut+down&period=all");
        Assert.Equal(200, export.Status);
        Assert.Contains("attachment", export.Headers["content-disposition"]);
        using (var exported = System.Text.Json.JsonDocument.Parse(await export.TextAsync()))
            Assert.Contains(exported.RootElement.EnumerateArray(), e => e.GetProperty("by").GetString() == "console " + Email
                && e.GetProperty("event").GetString()!.Contains("shut down", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Link, new() { Name = "Account" }).ClickAsync();
        await Expect(browser.Input("fullname")).ToHaveValueAsync("Olga Ops");
        await browser.ScreenshotAsync("account");

        await page.GotoAsync("/nope");
        await Expect(browser.ByTestId("not-found")).ToBeVisibleAsync();
        await page.GotoAsync("/");

        // At a phone's width (390 px) the menu is a drawer behind a button and no page is wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        foreach (var (path, name) in new[] { ("/", "overview"), ("/tunnels", "tunnels"), (tunnelPath, "tunnel-details"), ("/tokens", "tokens"),
                     ("/users", "users"), ("/cluster", "cluster"), ("/audit", "audit"), ("/settings", "settings"), ("/profile", "account") })
        {
            await page.GotoAsync(path);
            await Expect(browser.ByTestId("signed-in-as")).ToBeAttachedAsync();
            await Expect(page.Locator("h4").First).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Tokens" })).Not.ToBeInViewportAsync();
            var sizes = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
            if (sizes[0] > sizes[1])
            {
                var wide = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('body *')].filter(e => " +
                    "e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + (e.getAttribute('data-testid') ?? '')).slice(0, 6)");
                Assert.Fail($"{path} is {sizes[0]} px wide at a {sizes[1]} px viewport: {string.Join(" | ", wide)}");
            }
            await browser.ScreenshotAsync("phone-" + name);
        }
        await browser.ByTestId("menu").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Tokens" })).ToBeInViewportAsync();
        await browser.ScreenshotAsync("phone-menu");
        await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
        await page.WaitForURLAsync("**/tokens");
        await page.SetViewportSizeAsync(1280, 800);

        await SignOutAsync(browser);
        await page.GotoAsync("/tokens");
        await page.WaitForURLAsync("**/account/login**");
    }

    [Fact]
    public async Task PasswordChange_SignsOutEverySession()
    {
        await using var host = await ConsoleTestHost.StartAsync(adminSecret: null);
        await using var first = await Browser.OpenAsync(host.Address);
        await using var second = await Browser.OpenAsync(host.Address);
        await SignInBothAsync(host, first, second);
        Assert.Equal(0, await first.ByTestId("configure").CountAsync());

        await first.Page.GotoAsync("/profile");
        await first.Input("pw-current").FillAsync("wrong password");
        await first.Input("pw-new").FillAsync("another good one");
        await first.Input("pw-confirm").FillAsync("another good one");
        await first.ByTestId("pw-save").ClickAsync();
        await Expect(first.ByTestId("error")).ToContainTextAsync("current password is wrong");
        await first.Input("pw-current").FillAsync(Password);
        await first.Input("pw-new").FillAsync("another good one");
        await first.Input("pw-confirm").FillAsync("another good one");
        await first.ByTestId("pw-save").ClickAsync();
        await first.Page.WaitForURLAsync("**/account/login**");

        await second.Page.GotoAsync("/tokens");
        await second.Page.WaitForURLAsync("**/account/login**");
        await SignInAsync(second, Password);
        await Expect(second.ByTestId("error")).ToContainTextAsync("Wrong email or password");
        await SignInAsync(second, "another good one");
        await Expect(second.ByTestId("signed-in-as")).ToHaveTextAsync(Email);
    }

    /// <summary>Signing out ends that session only (its copied cookie is refused, another browser stays in); the
    /// Account page lists both sessions and ends the other one, whose cookie is then refused too.</summary>
    [Fact]
    public async Task SignOut_EndsThatSessionOnly_AndTheAccountPageEndsAnother()
    {
        await using var host = await ConsoleTestHost.StartAsync(adminSecret: null);
        await using var first = await Browser.OpenAsync(host.Address);
        await using var second = await Browser.OpenAsync(host.Address);
        await SignInBothAsync(host, first, second);
        async Task<string> CookiesOf(Browser b) => string.Join("; ", (await b.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        var firstCookie = await CookiesOf(first);
        var secondCookie = await CookiesOf(second);

        await SignOutAsync(first);
        Assert.Equal("", await WhoAmIAsync(host.Address, firstCookie));
        Assert.Equal(Email, await WhoAmIAsync(host.Address, secondCookie));

        await SignInAsync(first, Password);
        await Expect(first.ByTestId("signed-in-as")).ToHaveTextAsync(Email);
        var again = await CookiesOf(first);
        await second.Page.GotoAsync("/profile");
        var rows = second.Page.Locator("[data-testid=session-row]");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(second.Page.Locator("[data-testid=session-current]")).ToHaveCountAsync(1);
        await second.ByTestId("session-end").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Spokes.Tests.DataPlane.Testbed.Expect.Within(TimeSpan.FromSeconds(20))
            .That("the ended session's cookie refused", async () => await WhoAmIAsync(host.Address, again) == "");
        Assert.Equal(Email, await WhoAmIAsync(host.Address, secondCookie));
        var audit = ((AuditReply)await host.Get<AdminOperations>().HandleAsync(new AuditRequest(null), "test")).Entries;
        Assert.Contains(audit, e => e.Event.Contains("ended (signed out)", StringComparison.Ordinal) && e.By == "console " + Email);
        Assert.Contains(audit, e => e.Event.Contains("ended (ended on the Account page)", StringComparison.Ordinal));
    }

    /// <summary>Creates the admin (no 2FA) and signs both browsers in as it.</summary>
    private static async Task SignInBothAsync(ConsoleTestHost host, Browser first, Browser second)
    {
        var created = await host.Get<IAccountService>().CreateFirstAdminAsync(Email, "", Password, twoFactor: false);
        Assert.True(created.Ok, created.Error);
        foreach (var b in new[] { first, second })
        {
            await SignInAsync(b, Password);
            await Expect(b.ByTestId("signed-in-as")).ToHaveTextAsync(Email);
        }
    }

    private static Task SignInAsync(Browser browser, string password) => ConsoleUsersBrowserTests.SignInAsync(browser, Email, password);

    private static async Task SubmitCodeAsync(Browser browser, string code)
    {
        await browser.Page.Locator("input[name=code]").FillAsync(code);
        await browser.Page.Locator("form button[type=submit]").ClickAsync();
    }

    /// <summary>Who the console says a request with <paramref name="cookies"/> is ("" when it is nobody).</summary>
    internal static async Task<string> WhoAmIAsync(Uri address, string cookies)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        using var http = new HttpClient(handler) { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/whoami");
        request.Headers.Add("Cookie", cookies);
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
    }

    private static async Task SignOutAsync(Browser browser)
    {
        await browser.ByTestId("signout").ClickAsync();
        await browser.Page.WaitForURLAsync("**/account/login");
    }
}
