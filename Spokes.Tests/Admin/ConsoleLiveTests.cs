using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Spokes.Tests.Support;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Spokes.Tests.Admin;

/// <summary>The console of a real <c>spokes start</c> process with a real agent: rules pushed from the browser
/// reach the agent and serve traffic; ports are allocated, forwarded and released; tunnel options change;
/// a custom certificate is uploaded and served, then self-signed again; the shutdown disconnects the agent.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleLiveTests(ITestOutputHelper output)
{
    private const string AdminSecret = "live-run-secret-0815";
    private const string Email = "ops@example.com";
    private const string Password = "correct horse battery";
    private const string Body = "hello from jack's backend";

    [Fact]
    public async Task LiveAgent_RulesPortsSettingsAndShutdown()
    {
        await using var backend = await StartBackendAsync();
        var backendPort = new Uri(backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        await using var node = await LiveNode.StartAsync(AdminSecret);
        try
        {
            var agent = await node.StartAgentAsync("jack");
            await using var browser = await Browser.OpenAsync(node.ConsoleAddress);
            await RunAsync(node, agent, browser, backendPort);
        }
        catch
        {
            output.WriteLine(node.Logs());
            throw;
        }
    }

    private static async Task RunAsync(LiveNode node, DotnetProcess agent, Browser browser, int backendPort)
    {
        var page = browser.Page;
        await FirstRunAndSignInAsync(browser);

        // The page names its icon, and it is served (no favicon 404 on every page).
        string icon = (await page.Locator("link[rel=icon]").GetAttributeAsync("href"))!;
        Assert.Equal(200, (await page.APIRequest.GetAsync(new Uri(new Uri(page.Url), icon).ToString(), new() { IgnoreHTTPSErrors = true })).Status);
        await page.GetByRole(AriaRole.Link, new() { Name = "Tunnels" }).ClickAsync();
        await Expect(browser.ByTestId("tunnel-table")).ToContainTextAsync("online");
        await browser.ByTestId("tunnel-link").ClickAsync();
        await Expect(browser.ByTestId("status")).ToHaveTextAsync("online");
        await Expect(browser.ByTestId("no-rules")).ToBeVisibleAsync();

        // An HTTP rule: the form's own check, then the agent applies it and the node routes by Host.
        await browser.ByTestId("rule-add").ClickAsync();
        await browser.Input("rule-domain").FillAsync("web.example.com");
        await browser.Input("rule-destination").FillAsync("127.0.0.1");
        await browser.ClickUntilShownAsync("rule-save", "rule-form-error");
        await Expect(browser.ByTestId("rule-form-error")).ToContainTextAsync("HTTP port");
        await browser.Input("rule-http").FillAsync(backendPort.ToString());
        // An option the agent serves itself, set from the form: the service sees this Host.
        await browser.Input("rule-host-header").FillAsync("web.internal");
        await Expect(browser.ByTestId("rule-auth")).ToContainTextAsync("Visitor sign-in: none");
        await browser.ByTestId("rule-save").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("web.example.com added");
        await Expect(browser.ByTestId("rule-table")).ToContainTextAsync("web.example.com");
        await Expect(browser.ByTestId("rule-table")).ToContainTextAsync("host web.internal");
        Assert.Equal(Body, await GetAsync($"http://127.0.0.1:{node.HttpPort}/", "web.example.com"));
        // Basic auth set from the console: the browser hashes the password, the agent checks it on every request.
        await browser.ByTestId("rule-edit").ClickAsync();
        await browser.ByTestId("rule-auth-mode").SelectOptionAsync("basic");
        await browser.Input("rule-basic-user").FillAsync("ann");
        await browser.ByTestId("rule-auth-password").FillAsync("correct horse battery");
        await browser.ByTestId("rule-save").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("web.example.com updated", new() { Timeout = 20_000 });
        await Expect(browser.ByTestId("rule-table")).ToContainTextAsync("basic auth");
        using (var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            using var anonymous = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{node.HttpPort}/") { Headers = { Host = "web.example.com" } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(anonymous)).StatusCode);
            using var signedIn = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{node.HttpPort}/") { Headers = { Host = "web.example.com" } };
            signedIn.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("ann:correct horse battery")));
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(signedIn)).StatusCode);
        }
        // HTTPS with a certificate picked as files in the browser: the agent checks it, keeps it and terminates TLS.
        var secure = TestCertificates.Issue("secure.example.com");
        await browser.ByTestId("rule-add").ClickAsync();
        await browser.Input("rule-domain").FillAsync("secure.example.com");
        await browser.Input("rule-destination").FillAsync("127.0.0.1");
        await browser.Input("rule-http").FillAsync(backendPort.ToString());
        await browser.ByTestId("rule-cert-file").SetInputFilesAsync(new FilePayload
            { Name = "chain.pem", MimeType = "application/x-pem-file", Buffer = System.Text.Encoding.ASCII.GetBytes(secure.Certificate) });
        await browser.ByTestId("rule-key-file").SetInputFilesAsync(new FilePayload
            { Name = "key.pem", MimeType = "application/x-pem-file", Buffer = System.Text.Encoding.ASCII.GetBytes(secure.Key) });
        await Expect(browser.Page.Locator("textarea[data-testid=rule-cert], [data-testid=rule-cert] textarea").First).ToHaveValueAsync(secure.Certificate.Trim());
        await Expect(browser.Page.Locator("[data-testid=rule-key] textarea, [data-testid=rule-key] input, textarea[data-testid=rule-key], input[data-testid=rule-key]").First)
            .ToHaveValueAsync(secure.Key.Trim());
        await browser.ByTestId("rule-save").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("secure.example.com added", new() { Timeout = 20_000 });
        Assert.Equal((Body, secure.Thumbprint), await GetHttpsAsync(node.HttpsPort, "secure.example.com"));

        await browser.ByTestId("rule-add").ClickAsync();
        await browser.Input("rule-domain").FillAsync("not a domain");
        await browser.Input("rule-destination").FillAsync("127.0.0.1");
        await browser.Input("rule-http").FillAsync("80");
        await browser.ByTestId("rule-save").ClickAsync();
        await Expect(browser.ByTestId("rule-error")).ToBeVisibleAsync();
        await browser.ByTestId("rule-cancel").ClickAsync();
        await Expect(browser.ByTestId("connection-table")).ToContainTextAsync("web.example.com", new() { Timeout = 20_000 });

        // A port: allocated, forwarded to the backend (and relaying), reset, released.
        await browser.ByTestId("port-allocate").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("allocated");
        var port = int.Parse(Regex.Match(await browser.ByTestId("rule-result").InnerTextAsync(), @"port (\d+)").Groups[1].Value);
        await browser.ByTestId("port-edit").ClickAsync();
        await browser.Input("port-destination").FillAsync("127.0.0.1");
        await browser.Input("port-dstport").FillAsync(backendPort.ToString());
        await browser.ByTestId("port-save").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("forwards to");
        await Expect(browser.ByTestId("port-table")).ToContainTextAsync($"127.0.0.1:{backendPort}");
        Assert.Equal(Body, await GetAsync($"http://127.0.0.1:{port}/", "anything"));
        // The traffic graph follows without a reload (the node samples every 10 s; the page asks every 5 s).
        await Expect(browser.ByTestId("traffic-summary")).ToHaveTextAsync(new Regex(@"B in, .* out, [1-9]\d* connections? in the last hour"),
            new() { Timeout = 40_000 });
        await Expect(browser.Page.Locator("[data-testid=traffic] svg").First).ToBeVisibleAsync();
        await browser.ByTestId("rule-table").ScrollIntoViewIfNeededAsync();
        await browser.ScreenshotAsync("tunnel-details-live");
        await browser.Page.EvaluateAsync("() => { document.querySelector('[data-testid=traffic]').scrollIntoView(); window.scrollBy(0, -64); }");
        await browser.ScreenshotAsync("traffic");
        await browser.ByTestId("traffic-period").GetByText("Last day").ClickAsync();
        await Expect(browser.ByTestId("traffic-summary")).ToContainTextAsync("in the last day");
        await Expect(browser.ByTestId("traffic-unit")).ToContainTextAsync("averaged per 15 min");
        // The last 30 days, from the store's daily roll-ups: the connections above were recorded there when they closed.
        await browser.ByTestId("traffic-period").GetByText("Last 30 days").ClickAsync();
        await Expect(browser.ByTestId("traffic-summary")).ToHaveTextAsync(new Regex(@"B in, .* out, [1-9]\d* connections? in the last 30 days"),
            new() { Timeout = 20_000 });
        await Expect(browser.ByTestId("traffic-unit")).ToContainTextAsync("B per day");
        await browser.Page.EvaluateAsync("() => { document.querySelector('[data-testid=traffic]').scrollIntoView(); window.scrollBy(0, -64); }");
        await browser.ScreenshotAsync("traffic-month");
        await browser.ByTestId("port-reset").ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("reset");
        await Expect(browser.ByTestId("port-table")).ToContainTextAsync("(not set)");
        await browser.ByTestId("port-release").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Release" }).ClickAsync();
        await Expect(browser.ByTestId("rule-result")).ToContainTextAsync("released");
        await Expect(browser.ByTestId("no-ports")).ToBeVisibleAsync();

        // Settings: config values read-only; tunnel options validated by the cluster, then applied.
        await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Expect(browser.ByTestId("domain")).ToHaveTextAsync("localhost");
        await Expect(browser.ByTestId("tls-mode")).ToHaveTextAsync("self-signed");
        await browser.Input("max-pool").FillAsync("0");
        await browser.ByTestId("options-save").ClickAsync();
        await Expect(browser.ByTestId("options-error")).ToContainTextAsync("maxPoolSize must be between 1 and 64");
        await browser.Input("max-pool").FillAsync("8");
        await browser.ByTestId("options-save").ClickAsync();
        await Expect(browser.ByTestId("options-saved")).ToContainTextAsync("maxPoolSize 8");
        await LiveTlsSteps.RunAsync(node, browser);

        // Shutdown: the agent is told to go, and the cached rules become read-only.
        await page.GetByRole(AriaRole.Link, new() { Name = "Tunnels" }).ClickAsync();
        await browser.ByTestId("tunnel-link").ClickAsync();
        await browser.ByTestId("shutdown").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Shut down" }).ClickAsync();
        await Expect(browser.ByTestId("status")).ToHaveTextAsync("shut down");
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(20));
        await Expect(browser.ByTestId("rules-readonly")).ToBeVisibleAsync();
        await Expect(browser.ByTestId("rule-add")).ToHaveCountAsync(0);
        await Expect(browser.ByTestId("rule-table")).ToContainTextAsync("web.example.com");
    }

    private static async Task FirstRunAndSignInAsync(Browser browser)
    {
        var page = browser.Page;
        await page.GotoAsync("/account/login");
        await browser.ByTestId("configure").ClickAsync();
        await browser.Input("secret").FillAsync(AdminSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await browser.Input("email").FillAsync(Email);
        await browser.Input("fullname").FillAsync("Olga Ops");
        await browser.Input("password").FillAsync(Password);
        await browser.Input("confirm").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await page.WaitForURLAsync("**/account/login?setup=done");
        await page.Locator("input[name=email]").FillAsync(Email);
        await page.Locator("input[name=password]").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(browser.ByTestId("signed-in-as")).ToHaveTextAsync(Email);
    }

    private static async Task<string> GetAsync(string url, string host)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>GET https://<paramref name="host"/>/ through the node's HTTPS port: the body and the thumbprint of the
    /// certificate presented for that SNI.</summary>
    private static async Task<(string Body, string? Thumbprint)> GetHttpsAsync(int httpsPort, string host)
    {
        string? served = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, httpsPort, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => (served = certificate?.GetCertHashString()) is not null },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync($"https://{host}/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync(), served);
    }

    private static async Task<WebApplication> StartBackendAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Body);
        await app.StartAsync();
        return app;
    }
}
