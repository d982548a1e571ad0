using Microsoft.Playwright;

namespace Spokes.Tests.Admin;

/// <summary>Debian's Chromium driven by Playwright, headless, with the flags that work here as root.</summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public static async Task<Browser> OpenAsync(Uri baseAddress)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--ignore-certificate-errors",
            ],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            IgnoreHTTPSErrors = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        // Generous: two cores run several test collections at once, and each sign-in or password change
        // costs a 600,000-iteration PBKDF2 on the node. Waits end as soon as the condition holds.
        context.SetDefaultTimeout(45_000);
        context.SetDefaultNavigationTimeout(45_000);
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(30_000);
        return new Browser(playwright, browser, context, await context.NewPageAsync());
    }

    /// <summary>The input of a plain input or of a MudBlazor field carrying the test id.</summary>
    public ILocator Input(string testId) =>
        Page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    public ILocator ByTestId(string testId) => Page.Locator($"[data-testid={testId}]").First;

    /// <summary>Clicks <paramref name="testId"/> until <paramref name="shown"/> is visible, at most three times: on two
    /// busy cores a click can land while the circuit is still re-rendering the form and never reach its handler.
    /// Only for clicks that are safe to repeat (a form whose answer is a validation error).</summary>
    public async Task ClickUntilShownAsync(string testId, string shown)
    {
        for (int attempt = 1; ; attempt++)
        {
            await ByTestId(testId).ClickAsync();
            try
            {
                await ByTestId(shown).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 15_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Saves a 1280x800 screenshot under docs/screenshots (found from the repository root).</summary>
    public async Task ScreenshotAsync(string name)
    {
        var dir = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(dir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Spokes.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>The tests that drive Chromium run one after another: two browsers and their nodes at once on two cores
/// starve the other collections' timing-sensitive tests.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}
