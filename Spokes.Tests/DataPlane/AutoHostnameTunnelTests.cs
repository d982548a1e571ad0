using System.Net;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// <c>tunOptions.autoHostnames</c> at run time: turned on, jack's tunnel shows a generated name under the server's
/// domain (the same in every listing and after the option goes off and on again) and a visitor asking for it reaches
/// jack's first HTTP rule with that Host; turned off, the name routes nowhere.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class AutoHostnameTunnelTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task AutoHostnames_OnAtRunTime_RoutesToTheFirstRule_OffRoutesNowhere() => bed.Bed.ScenarioAsync(output, async () =>
    {
        (await bed.Bed.CliAsync("settings", "tunnel", "--auto-hostnames", "sometimes")).ExpectExit(2).ExpectError("on or off");
        (await bed.Bed.CliAsync("settings", "tunnel", "--auto-hostnames", "on")).ExpectExit(0).ExpectOutput("autoHostnames: on");
        string name;
        try
        {
            name = await AutoHostnameAsync() ?? throw new Xunit.Sdk.XunitException("no automatic hostname listed");
            Assert.Matches($"^[a-z2-7]{{16}}\\.{SpokesTestbed.Domain}$", name);
            (await bed.Bed.CliAsync("tunnel", "ls")).ExpectExit(0).ExpectOutput("Auto hostname").ExpectOutput(name);

            // jack's rules are app.example.com and tls.example.com: the first (ordinal) is app's plain-HTTP service.
            var host = await Expect.Within(20.Seconds()).That("the name routed", () => HostSeenAsync(name), seen => seen == name);
            Assert.Equal(name, host);

            (await bed.Bed.CliAsync("settings", "tunnel", "--auto-hostnames", "off")).ExpectExit(0).ExpectOutput("autoHostnames: off");
            await Expect.Within(20.Seconds()).That("the name routed nowhere", async () => await HostSeenAsync(name) is null);
            Assert.Null(await AutoHostnameAsync());

            (await bed.Bed.CliAsync("settings", "tunnel", "--auto-hostnames", "on")).ExpectExit(0);
            Assert.Equal(name, await AutoHostnameAsync()); // stable: derived, not drawn again
        }
        finally
        {
            (await bed.Bed.CliAsync("settings", "tunnel", "--auto-hostnames", "off")).ExpectExit(0);
        }
    });

    private async Task<string?> AutoHostnameAsync()
    {
        var listed = (await bed.Bed.CliAsync("tunnel", "ls", "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(listed.Output);
        var jack = json.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == bed.Agent.TunnelId);
        return jack.TryGetProperty("autoHostname", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
    }

    /// <summary>The Host the HTTP backend saw for a request to <paramref name="name"/>, or null when the node closed it.</summary>
    private async Task<string?> HostSeenAsync(string name)
    {
        using var http = bed.Visitor.Http(name);
        try
        {
            using var response = await http.GetAsync("host");
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
