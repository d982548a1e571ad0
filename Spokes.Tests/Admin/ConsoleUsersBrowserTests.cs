using Akka.Actor;
using Microsoft.Playwright;
using Spokes.Actors.Gateway;
using Spokes.Actors.Users;
using Spokes.Admin.Security;
using Spokes.Admin.Services;
using static Microsoft.Playwright.Assertions;

namespace Spokes.Tests.Admin;

/// <summary>Administrators managed in the console, in Chromium against a real node: an owner adds an admin, who signs
/// in and may not manage anyone; the owner disables them (their session ends, their sign-in is refused), enables
/// them, makes them an owner and requires 2FA (enrolment at their next sign-in); the owner's own 2FA on Account.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleUsersBrowserTests
{
    private const string Owner = "owner@example.com", Ada = "ada@example.com";
    private const string OwnerPassword = "correct horse battery", AdaPassword = "ada's long passphrase";

    [Fact]
    public async Task Owner_AddsDisablesEnablesAndPromotesAnAdmin_AdminMayNotManage()
    {
        await using var host = await ConsoleTestHost.StartAsync(adminSecret: null);
        var created = await host.Get<IAccountService>().CreateFirstAdminAsync(Owner, "Olga Owner", OwnerPassword, twoFactor: false);
        Assert.True(created.Ok, created.Error);
        var ownerId = created.Value!.Id;
        await using var owner = await Browser.OpenAsync(host.Address);
        await using var ada = await Browser.OpenAsync(host.Address);
        await SignInAsync(owner, Owner, OwnerPassword);
        await Expect(owner.ByTestId("signed-in-as")).ToHaveTextAsync(Owner);

        // Adding: refusals first (no password rendered back), then an admin without 2FA.
        await owner.Page.GotoAsync("/users");
        await owner.Input("admin-email").FillAsync(Ada);
        await owner.Input("admin-password").FillAsync(AdaPassword);
        await owner.Input("admin-confirm").FillAsync(AdaPassword + "x");
        await owner.ByTestId("admin-add").ClickAsync();
        await Expect(owner.ByTestId("error")).ToContainTextAsync("passwords do not match");
        await owner.Input("admin-email").FillAsync("not an email");
        await owner.Input("admin-password").FillAsync(AdaPassword);
        await owner.Input("admin-confirm").FillAsync(AdaPassword);
        await owner.ByTestId("admin-add").ClickAsync();
        await Expect(owner.ByTestId("error")).ToContainTextAsync("valid email");
        Assert.DoesNotContain(AdaPassword, await owner.Page.ContentAsync());
        await owner.Input("admin-email").FillAsync(Ada);
        await owner.Input("admin-name").FillAsync("Ada Admin");
        await owner.Input("admin-password").FillAsync(AdaPassword);
        await owner.Input("admin-confirm").FillAsync(AdaPassword);
        await owner.Input("admin-2fa").UncheckAsync();
        await owner.ByTestId("admin-add").ClickAsync();
        await Expect(owner.ByTestId("admin-added")).ToContainTextAsync($"{Ada} added as an admin");
        var adaRow = owner.Page.Locator($"[data-testid=user-row][data-email='{Ada}']");
        await Expect(adaRow.Locator("[data-testid=user-kind]")).ToHaveTextAsync("admin");
        await Expect(adaRow.Locator("[data-testid=user-last]")).ToHaveTextAsync("never");
        Assert.DoesNotContain(AdaPassword, await owner.Page.ContentAsync());

        // The new admin signs in; they see the users but no way to manage them, and the service refuses them too.
        await SignInAsync(ada, Ada, AdaPassword);
        await Expect(ada.ByTestId("signed-in-as")).ToHaveTextAsync(Ada);
        await ada.Page.GotoAsync("/users");
        await Expect(ada.ByTestId("users-table")).ToContainTextAsync(Owner);
        await Expect(ada.Page.Locator("[data-testid=admin-add]")).ToHaveCountAsync(0);
        await Expect(ada.Page.Locator("[data-testid=user-manage]")).ToHaveCountAsync(0);
        var adaId = UserIds.For(Ada);
        var admins = host.Get<IUserAdministration>();
        Assert.Equal(UserAdministration.OwnersOnly, (await admins.SetRoleAsync(adaId, ownerId, UserRole.Admin, "test")).Error);
        Assert.Equal(UserAdministration.OwnersOnly,
            (await admins.AddAdministratorAsync(adaId, "eve@example.com", "", AdaPassword, UserRole.Owner, false, "test")).Error);
        // An owner does not lock themselves out here, and the last owner stays one.
        Assert.Contains("yourself", (await admins.SetDisabledAsync(ownerId, ownerId, true, "test")).Error);
        var demote = await host.Get<AdminOperations>().HandleAsync(new SetUserRoleRequest(new UserSelector(Owner, null), UserRole.Admin), "test");
        Assert.Contains("last owner", Assert.IsType<Spokes.Actors.Entities.Refusal>(demote).Message);

        // Disabling ends Ada's session at once (a copy of her cookie is refused) and refuses her right password.
        var adaCookie = string.Join("; ", (await ada.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        await owner.Page.ReloadAsync();
        await Expect(adaRow.Locator("[data-testid=user-last]")).ToContainTextAsync("from 127.0.0.1");
        await ManageAsync(owner, adaRow, "user-disable");
        await owner.ByTestId("user-disable-confirm").ClickAsync();
        await Expect(owner.ByTestId("users-message")).ToContainTextAsync("disabled");
        await Expect(adaRow.Locator("[data-testid=user-status]")).ToHaveTextAsync("disabled");
        await Spokes.Tests.DataPlane.Testbed.Expect.Within(TimeSpan.FromSeconds(20))
            .That("the disabled admin's cookie refused", async () => await ConsoleBrowserTests.WhoAmIAsync(host.Address, adaCookie) == "");
        await SignInAsync(ada, Ada, AdaPassword);
        await Expect(ada.ByTestId("error")).ToContainTextAsync("disabled");

        // Enabled again, made an owner, then 2FA required: her next sign-in enrols an authenticator.
        await ManageAsync(owner, adaRow, "user-enable");
        await Expect(adaRow.Locator("[data-testid=user-status]")).ToHaveTextAsync("active");
        await ManageAsync(owner, adaRow, "user-make-owner");
        await Expect(adaRow.Locator("[data-testid=user-kind]")).ToHaveTextAsync("owner");
        await ManageAsync(owner, adaRow, "user-2fa-on");
        await Expect(adaRow.Locator("[data-testid=user-2fa]")).ToHaveTextAsync("on");
        await SignInAsync(ada, Ada, AdaPassword);
        await ada.Page.WaitForURLAsync("**/account/enrol");
        await owner.ScreenshotAsync("users-manage");

        // Every change is audited as the owner who made it.
        var audit = ((AuditReply)await host.Get<AdminOperations>().HandleAsync(new AuditRequest(null), "test")).Entries;
        foreach (var what in new[] { $"user {Ada} created (Console, admin)", "disabled: sign-in refused", "enabled", "role set to owner", "two-factor enable" })
            Assert.Contains(audit, e => e.Event.Contains(what, StringComparison.Ordinal) && e.By == "console " + Owner);
    }

    [Fact]
    public async Task Account_TurnsOwnTwoFactorOn_WithThePassword_EnrolmentAtTheNextSignIn()
    {
        await using var host = await ConsoleTestHost.StartAsync(adminSecret: null);
        Assert.True((await host.Get<IAccountService>().CreateFirstAdminAsync(Owner, "", OwnerPassword, twoFactor: false)).Ok);
        await using var browser = await Browser.OpenAsync(host.Address);
        await SignInAsync(browser, Owner, OwnerPassword);
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Owner);
        await browser.Page.GotoAsync("/profile");
        await Expect(browser.ByTestId("own-2fa-state")).ToContainTextAsync("Off");
        await browser.Input("own-2fa-password").FillAsync("not my password");
        await browser.ByTestId("own-2fa-on").ClickAsync();
        await Expect(browser.ByTestId("error")).ToContainTextAsync("current password is wrong");
        await browser.Input("own-2fa-password").FillAsync(OwnerPassword);
        await browser.ByTestId("own-2fa-on").ClickAsync();
        await browser.Page.WaitForURLAsync("**/account/login**");
        await SignInAsync(browser, Owner, OwnerPassword);
        await browser.Page.WaitForURLAsync("**/account/enrol");
        var secret = (await browser.ByTestId("totp-secret").InnerTextAsync()).Trim();
        await browser.Page.Locator("input[name=code]").FillAsync(TotpCodes.CodeAt(secret, DateTimeOffset.UtcNow));
        await browser.Page.Locator("form button[type=submit]").ClickAsync();
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Owner);
        await browser.Page.GotoAsync("/profile");
        await Expect(browser.ByTestId("own-2fa-state")).ToContainTextAsync("code from your authenticator");
    }

    [Fact]
    public async Task Quota_SetOnTheUsersPage_ShownWithUse_BadInputRefused()
    {
        await using var host = await ConsoleTestHost.StartAsync(adminSecret: null);
        Assert.True((await host.Get<IAccountService>().CreateFirstAdminAsync(Owner, "", OwnerPassword, twoFactor: false)).Ok);
        var agentId = UserIds.For("agent-q");
        await host.Get<SpokesRegions>().Users.Ask<Spokes.Actors.Entities.IWireMessage>(new EnsureTunnelUser(agentId, "agent-q", "test"),
            TimeSpan.FromSeconds(15));
        await using var browser = await Browser.OpenAsync(host.Address);
        await SignInAsync(browser, Owner, OwnerPassword);
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Owner);
        await browser.Page.GotoAsync("/users");
        await browser.Page.Locator("[data-testid=user-row][data-email='agent-q'] [data-testid=user-quota]").ClickAsync();
        await Expect(browser.ByTestId("quota-use")).ToContainTextAsync("0 tunnels, 0 ports, 0 B this month");
        await browser.Input("quota-domains").FillAsync("not a domain!");
        await browser.ByTestId("quota-save").ClickAsync();
        await Expect(browser.ByTestId("error")).ToContainTextAsync("is not a domain");
        await browser.Input("quota-tunnels").FillAsync("2");
        await browser.Input("quota-ports").FillAsync("3");
        await browser.Input("quota-gb").FillAsync("1.5");
        await browser.Input("quota-domains").FillAsync("*.apps.example.com, api.example.com");
        await browser.ByTestId("quota-save").ClickAsync();
        await Expect(browser.ByTestId("quota-saved")).ToContainTextAsync("tunnels 2, ports 3, bandwidth 1.4 GiB a month");
        var quota = Assert.IsType<UserQuotaReply>(await host.Get<AdminOperations>().HandleAsync(
            new UserQuotaRequest(new UserSelector(null, agentId), null, null, null), "test"));
        Assert.Equal((2, 3, 1_500_000_000L), (quota.MaxTunnels!.Value, quota.MaxPorts!.Value, quota.MonthlyBytes!.Value));
        Assert.Equal(["*.apps.example.com", "api.example.com"], quota.Domains);
        // Emptied fields are no limit again.
        await browser.Input("quota-tunnels").FillAsync("");
        await browser.Input("quota-gb").FillAsync("");
        await browser.ByTestId("quota-save").ClickAsync();
        await Expect(browser.ByTestId("quota-saved")).ToContainTextAsync("tunnels any, ports 3, bandwidth any");
        var audit = ((AuditReply)await host.Get<AdminOperations>().HandleAsync(new AuditRequest(null), "test")).Entries;
        Assert.Contains(audit, e => e.Event.Contains("quota set", StringComparison.Ordinal) && e.By == "console " + Owner);
    }

    /// <summary>Opens the row's Manage menu and picks an item.</summary>
    private static async Task ManageAsync(Browser browser, ILocator row, string item)
    {
        await row.Locator("[data-testid=user-manage] button").First.ClickAsync();
        await browser.Page.Locator($"[data-testid={item}]").ClickAsync();
    }

    /// <summary>Fills and posts the sign-in form.</summary>
    internal static async Task SignInAsync(Browser browser, string email, string password)
    {
        await browser.Page.GotoAsync("/account/login");
        await browser.Page.Locator("input[name=email]").FillAsync(email);
        await browser.Page.Locator("input[name=password]").FillAsync(password);
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
