using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>API keys and <c>/metrics</c> on a real node: keys created, listed and revoked with the CLI; the endpoint
/// scraped over the node's HTTPS with real traffic flowing through agent jack's tunnel.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class OperatorEndpointsTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task Metrics_WithAnApiKey_CountTheTunnelsTraffic_RevokedKeyRefused() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var https = Https();
        using (var anonymous = await https.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync());
            Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        }

        var created = (await bed.Bed.CliAsync("apikey", "create", "--scope", "read", "--description", "prometheus", "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(created.Output);
        var key = json.RootElement.GetProperty("value").GetString()!;
        var id = json.RootElement.GetProperty("id").GetString()!;
        Assert.StartsWith("spk_", key, StringComparison.Ordinal);
        Assert.Equal("read", json.RootElement.GetProperty("scope").GetString());

        // Shown once: the listing has no value, in the table or in JSON.
        var listed = (await bed.Bed.CliAsync("apikey", "ls")).ExpectExit(0).ExpectOutput(id).ExpectOutput("prometheus");
        Assert.DoesNotContain(key, listed.Output, StringComparison.Ordinal);
        var listedJson = (await bed.Bed.CliAsync("apikey", "ls", "--json")).ExpectExit(0);
        Assert.DoesNotContain(key, listedJson.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"value\"", listedJson.Output, StringComparison.Ordinal);

        // Real traffic: one request whose connection closes, so it is counted.
        byte[] body = RandomNumberGenerator.GetBytes(64 * 1024);
        using (var http = bed.Visitor.Http(TrafficFixture.AppDomain))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new ByteArrayContent(body) };
            request.Headers.ConnectionClose = true;
            using var echoed = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        }
        var tunnel = $"{{tunnel=\"{bed.Agent.TunnelId}\"}}";
        Dictionary<string, double> metrics = [];
        await Expect.Within(20.Seconds()).That("the request counted in /metrics", async () =>
        {
            metrics = await ScrapeAsync(https, key);
            return metrics.GetValueOrDefault("spokes_tunnel_received_bytes_total" + tunnel) >= body.Length
                && metrics.GetValueOrDefault("spokes_tunnel_sent_bytes_total" + tunnel) >= body.Length;
        });
        Assert.True(metrics["spokes_tunnel_connections_total" + tunnel] >= 1);
        Assert.Equal(1, metrics["spokes_tunnel_online" + tunnel]);
        Assert.True(metrics["spokes_node_agent_connections"] >= 1);
        Assert.Equal(1, metrics["spokes_node_ready"]);
        Assert.Equal(1, metrics["spokes_cluster_members{status=\"up\"}"]);
        Assert.True(metrics["spokes_certificate_expiry_timestamp_seconds"] > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(metrics["process_cpu_seconds_total"] > 0);
        Assert.Contains(metrics.Keys, k => k.StartsWith("dotnet_gc_", StringComparison.Ordinal) || k.StartsWith("dotnet_collection_count_total", StringComparison.Ordinal));

        (await bed.Bed.CliAsync("apikey", "rm", "--id", id)).ExpectExit(0).ExpectOutput("revoked");
        using (var revoked = await SendAsync(https, key))
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        (await bed.Bed.CliAsync("apikey", "ls")).ExpectExit(0).ExpectOutput("| false");
    });

    [Fact]
    public Task ApiKeyCommands_BadInput_OneLineErrors() => bed.Bed.ScenarioAsync(output, async () =>
    {
        (await bed.Bed.CliAsync("apikey", "create")).ExpectExit(2).ExpectError("--scope read|admin is required");
        (await bed.Bed.CliAsync("apikey", "create", "--scope", "write")).ExpectExit(2).ExpectError("scope 'write' is neither read nor admin");
        (await bed.Bed.CliAsync("apikey", "create", "--scope", "admin", "--description", new string('x', 500))).ExpectExit(2)
            .ExpectError("the description is longer than");
        (await bed.Bed.CliAsync("apikey", "rm")).ExpectExit(2).ExpectError("--id is required");
        (await bed.Bed.CliAsync("apikey", "rm", "--id", "doesnotexist")).ExpectExit(4).ExpectError("API key doesnotexist not found");
        using var https = Https();
        using var guessed = await SendAsync(https, "spk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)));
        Assert.Equal(HttpStatusCode.Unauthorized, guessed.StatusCode);
    });

    private HttpClient Https()
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(bed.Bed.CaPath);
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://{SpokesTestbed.Domain}:{bed.Bed.HttpsPort}/"), Timeout = Visitor.Patience };
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient https, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await https.SendAsync(request);
    }

    /// <summary>The samples of one scrape by series (<c>name{labels}</c>), parsed from the text exposition format.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient https, string key)
    {
        using var response = await SendAsync(https, key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            Assert.True(space > 0, $"not a sample line: {line}");
            samples[line[..space]] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return samples;
    }
}
