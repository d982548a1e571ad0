using System.Net;

namespace Spokes.Tests.Admin;

public sealed class ConsoleHostSmokeTests
{
    [Fact]
    public async Task Host_ServesLoginPageAndStaticAssets()
    {
        await using var host = await ConsoleTestHost.StartAsync("s3cret-admin");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = host.Address };
        var login = await http.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("Configure", await login.Content.ReadAsStringAsync());
        foreach (var asset in new[] { "/_framework/blazor.web.js", "/_content/MudBlazor/MudBlazor.min.css", "/_content/Spokes.Admin/console.css" })
            Assert.True((await http.GetAsync(asset)).IsSuccessStatusCode, asset);
        var overview = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, overview.StatusCode);
        Assert.StartsWith("/account/login", overview.Headers.Location!.PathAndQuery);
        foreach (var response in new[] { login, overview })
        {
            Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
        Assert.Equal("frame-ancestors 'none'", Assert.Single(login.Headers.GetValues("Content-Security-Policy")));
        var nope = await http.GetAsync("/nope/at/all");
        Assert.Equal(HttpStatusCode.NotFound, nope.StatusCode);
        // The console's own page (rendered by its circuit), not an empty 404.
        Assert.Contains("_content/Spokes.Admin/console.css", await nope.Content.ReadAsStringAsync());
    }
}
