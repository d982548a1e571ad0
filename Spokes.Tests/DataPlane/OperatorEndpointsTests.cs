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

    [Fact]
    public Task RestApi_ScopesPagingProblemsAndAudit_WithRealKeys() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var https = Https();
        var read = await CreateKeyAsync("read");
        var admin = await CreateKeyAsync("admin");

        using (var tunnels = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/tunnels?limit=1000"))
        {
            Assert.Equal(HttpStatusCode.OK, tunnels.StatusCode);
            using var page = JsonDocument.Parse(await tunnels.Content.ReadAsStringAsync());
            Assert.Contains(page.RootElement.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetString() == bed.Agent.TunnelId);
            Assert.True(page.RootElement.GetProperty("total").GetInt32() >= 1);
        }
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/tunnels?limit=0"), 400);
        // Values that do not parse get the same problem document as values out of range, and only after authentication.
        foreach (var query in new[] { "tunnels?limit=abc", "tokens?offset=1e3", "audit?offset=-1", "tunnels?all=maybe", "users?all=1", "audit?since=yesterday" })
            await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/" + query), 400);
        await ExpectProblemAsync(await ApiAsync(https, "not-a-key", HttpMethod.Get, "api/v1/tunnels?limit=abc"), 401);
        using (var flagged = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/users?all=true&offset=0&limit=1"))
            Assert.Equal(HttpStatusCode.OK, flagged.StatusCode);
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Post, "api/v1/tokens", "{}"), 403);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Post, "api/v1/tokens", "{not json"), 400);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Get, "api/v1/nope"), 404);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Delete, "api/v1/tokens/doesnotexist"), 404);

        // Created with the whole value once; listed truncated; the audit trail names the key that made it.
        string tokenId, tokenValue;
        using (var created = await ApiAsync(https, admin.Value, HttpMethod.Post, "api/v1/tokens", """{"hostname":"api-made.example.com"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            using var token = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            tokenId = token.RootElement.GetProperty("id").GetString()!;
            tokenValue = token.RootElement.GetProperty("value").GetString()!;
            Assert.Equal(40, tokenValue.Length);
            Assert.Equal($"/api/v1/tokens/{tokenId}", created.Headers.Location?.OriginalString);
        }
        using (var tokens = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/tokens?limit=1000"))
        {
            var listed = await tokens.Content.ReadAsStringAsync();
            Assert.Contains(tokenId, listed, StringComparison.Ordinal);
            Assert.DoesNotContain(tokenValue, listed, StringComparison.Ordinal);
        }
        using (var removed = await ApiAsync(https, admin.Value, HttpMethod.Delete, $"api/v1/tokens/{tokenId}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using (var audit = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/audit?limit=1000&since=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"))))
        {
            using var page = JsonDocument.Parse(await audit.Content.ReadAsStringAsync());
            Assert.Contains(page.RootElement.GetProperty("items").EnumerateArray(), e =>
                e.GetProperty("by").GetString() == "apikey " + admin.Id && e.GetProperty("event").GetString()!.Contains(tokenId, StringComparison.Ordinal));
        }
        // Reads are audited too, summed per key and period (limits.apiKeyAuditSeconds: 2 s on this bed).
        await Expect.Within(30.Seconds()).That("the read key's use in the audit trail", async () =>
            (await bed.Bed.CliAsync("audit", "ls")).Output.Contains($"API key {read.Id} read", StringComparison.Ordinal));
        (await bed.Bed.CliAsync("audit", "ls")).ExpectExit(0).ExpectOutput("GET /api/v1/");
        using (var small = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/audit?limit=2"))
        {
            using var page = JsonDocument.Parse(await small.Content.ReadAsStringAsync());
            Assert.Equal(2, page.RootElement.GetProperty("items").GetArrayLength());
            Assert.True(page.RootElement.GetProperty("total").GetInt32() > 2);
        }

        // One tunnel: details, its connection history, a rule pushed to the agent and routed, then removed.
        using (var http = bed.Visitor.Http(TrafficFixture.AppDomain))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new StringContent("history") };
            request.Headers.ConnectionClose = true;
            using var echoed = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        }
        var jack = bed.Agent.TunnelId;
        using (var details = await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}"))
        {
            Assert.Equal(HttpStatusCode.OK, details.StatusCode);
            Assert.Contains(TrafficFixture.AppDomain, await details.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await Expect.Within(20.Seconds()).That("the connection in the tunnel's history", async () =>
        {
            using var history = await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/connections?limit=5");
            using var page = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
            return page.RootElement.GetProperty("items").EnumerateArray().Any(c => c.GetProperty("rule").GetString() == "http:" + TrafficFixture.AppDomain);
        });
        // Its traffic over time (sampled every 10 s on each node), and of all tunnels over the day.
        await Expect.Within(40.Seconds()).That("the request in the tunnel's traffic of the last hour", async () =>
        {
            using var traffic = await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/traffic");
            using var doc = JsonDocument.Parse(await traffic.Content.ReadAsStringAsync());
            var points = doc.RootElement.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal((10, 360), (doc.RootElement.GetProperty("stepSeconds").GetInt32(), points.Count));
            return points.Sum(p => p.GetProperty("bytesIn").GetInt64()) >= "history".Length
                && points.Sum(p => p.GetProperty("bytesOut").GetInt64()) >= "history".Length
                && points.Sum(p => p.GetProperty("connections").GetInt64()) >= 1;
        });
        using (var day = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/traffic?period=day"))
        {
            using var doc = JsonDocument.Parse(await day.Content.ReadAsStringAsync());
            Assert.Equal(300, doc.RootElement.GetProperty("stepSeconds").GetInt32());
            Assert.True(doc.RootElement.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("connections").GetInt64()) >= 1);
            Assert.Equal(doc.RootElement.GetProperty("nodes").GetInt32(), doc.RootElement.GetProperty("nodesAnswered").GetInt32());
        }
        // The last 30 days come from the store's daily roll-ups (the connection above is recorded there).
        using (var month = await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/traffic?period=month"))
        {
            using var doc = JsonDocument.Parse(await month.Content.ReadAsStringAsync());
            var points = doc.RootElement.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal((86_400, 30), (doc.RootElement.GetProperty("stepSeconds").GetInt32(), points.Count));
            Assert.True(points.Sum(p => p.GetProperty("connections").GetInt64()) >= 1);
            Assert.True(points.Sum(p => p.GetProperty("bytesIn").GetInt64()) > 0);
            Assert.Equal(DateTimeOffset.UtcNow.Date, DateTimeOffset.FromUnixTimeSeconds(points[^1].GetProperty("start").GetInt64()).UtcDateTime.Date);
        }
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/traffic?period=week"), 400);
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/tunnels/doesnotexist/traffic"), 404);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Get, "api/v1/tunnels/doesnotexist"), 404);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Post, $"api/v1/tunnels/{jack}/rules",
            """{"action":"httpAdd","domain":"rest.example.com"}"""), 400);
        using (var added = await ApiAsync(https, admin.Value, HttpMethod.Post, $"api/v1/tunnels/{jack}/rules",
            $$"""{"action":"httpAdd","domain":"rest.example.com","destination":"127.0.0.1","httpPort":{{bed.HttpBackend.Port}}}"""))
        {
            Assert.True(added.StatusCode == HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
            Assert.Contains("rest.example.com", await added.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await Expect.Within(20.Seconds()).That("the pushed rule routed", async () =>
        {
            using var http = bed.Visitor.Http("rest.example.com");
            using var echoed = await http.PostAsync("echo", new StringContent("pushed"));
            return echoed.StatusCode == HttpStatusCode.OK && await echoed.Content.ReadAsStringAsync() == "pushed";
        });
        using (var removed = await ApiAsync(https, admin.Value, HttpMethod.Post, $"api/v1/tunnels/{jack}/rules",
            """{"action":"httpRemove","domain":"rest.example.com"}"""))
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        // Both pushes are in the audit trail as the key's, not the agent's.
        var trail = (await bed.Bed.CliAsync("audit", "ls", "--since", "10m", "--json")).ExpectExit(0);
        using (var entries = JsonDocument.Parse(trail.Output))
            foreach (var pushed in new[] { "HttpAdd rest.example.com", "HttpRemove rest.example.com" })
                Assert.Contains(entries.RootElement.EnumerateArray(), e => e.GetProperty("event").GetString() == $"tunnel {jack}: {pushed} pushed to its agent"
                    && e.GetProperty("by").GetString() == $"apikey {admin.Id}");

        // A user's quota through the API, set and lifted again (jack is shared by the collection's tests).
        string jackUser;
        using (var users = await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/users?all=true&limit=1000"))
        using (var page = JsonDocument.Parse(await users.Content.ReadAsStringAsync()))
            jackUser = page.RootElement.GetProperty("items").EnumerateArray().Single(u => u.GetProperty("email").GetString() == "jack").GetProperty("id").GetString()!;
        using (var set = await ApiAsync(https, admin.Value, HttpMethod.Put, $"api/v1/users/{jackUser}/quota", """{"maxPorts":50}"""))
        using (var quota = JsonDocument.Parse(await set.Content.ReadAsStringAsync()))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            Assert.Equal(50, quota.RootElement.GetProperty("maxPorts").GetInt32());
            Assert.True(quota.RootElement.GetProperty("ports").GetInt32() >= 1);
        }
        using (var lifted = await ApiAsync(https, admin.Value, HttpMethod.Put, $"api/v1/users/{jackUser}/quota", """{"maxPorts":0}"""))
        using (var quota = JsonDocument.Parse(await lifted.Content.ReadAsStringAsync()))
            Assert.Equal(JsonValueKind.Null, quota.RootElement.GetProperty("maxPorts").ValueKind);

        using (var document = await https.GetAsync("api/v1/openapi.json"))
        {
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
            using var openApi = JsonDocument.Parse(await document.Content.ReadAsStringAsync());
            Assert.StartsWith("3.", openApi.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
            var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
            Assert.Contains("/api/v1/tunnels", paths);
            Assert.Contains("/api/v1/apikeys/{id}", paths);
            Assert.DoesNotContain(paths, p => !p.StartsWith("/api/v1/", StringComparison.Ordinal));
        }

        (await bed.Bed.CliAsync("apikey", "rm", "--id", admin.Id)).ExpectExit(0);
        await ExpectProblemAsync(await ApiAsync(https, admin.Value, HttpMethod.Get, "api/v1/tunnels"), 401);
    });

    [Fact]
    public Task RestApi_PerKeyRateLimit_Answers429WithRetryAfter() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var https = Https();
        var key = await CreateKeyAsync("read");
        var answers = await Task.WhenAll(Enumerable.Range(0, 500).Select(async _ =>
        {
            using var response = await ApiAsync(https, key.Value, HttpMethod.Get, "api/v1/settings/tunnel");
            return ((int)response.StatusCode, response.Headers.RetryAfter?.Delta);
        }));
        Assert.Contains(answers, a => a.Item1 == 200);
        Assert.Contains(answers, a => a.Item1 == 429 && a.Delta == TimeSpan.FromSeconds(1));
        Assert.All(answers, a => Assert.True(a.Item1 is 200 or 429, $"status {a.Item1}"));
    });

    [Fact]
    public Task ConnectionHistory_PagedBeyondTheFirstHundred_RecordedOutsideTheJournal() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var https = Https();
        var read = await CreateKeyAsync("read");
        var jack = bed.Agent.TunnelId;
        async Task<JsonDocument> PageAsync(int offset, int limit)
        {
            using var response = await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/connections?offset={offset}&limit={limit}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        }
        int before;
        using (var first = await PageAsync(0, 1)) before = first.RootElement.GetProperty("total").GetInt32();

        const int Relayed = 130;
        using (var http = bed.Visitor.Http(TrafficFixture.AppDomain))
            for (var i = 0; i < Relayed; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new StringContent($"visit {i}") };
                request.Headers.ConnectionClose = true;
                using var echoed = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
            }
        await Expect.Within(20.Seconds()).That($"{Relayed} more connections in the history", async () =>
        {
            using var page = await PageAsync(0, 1);
            return page.RootElement.GetProperty("total").GetInt32() >= before + Relayed;
        });

        using (var second = await PageAsync(100, 100))
        {
            var total = second.RootElement.GetProperty("total").GetInt32();
            var items = second.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(Math.Min(100, total - 100), items.Count);
            var closed = items.Select(c => c.GetProperty("closed").GetDateTimeOffset()).ToList();
            Assert.Equal(closed.OrderDescending(), closed);
            // The newest 130 are this test's visits; what follows is older traffic of the tunnel's other rules.
            Assert.All(items.Take(Relayed - 100), c => Assert.Equal("http:" + TrafficFixture.AppDomain, c.GetProperty("rule").GetString()));
        }
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, $"api/v1/tunnels/{jack}/connections?offset=-1"), 400);
        await ExpectProblemAsync(await ApiAsync(https, read.Value, HttpMethod.Get, "api/v1/tunnels/doesnotexist/connections"), 404);

        // The journal holds the tunnel's lifecycle, not its visitors.
        await using var journal = new Microsoft.Data.Sqlite.SqliteConnection(
            new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(bed.Bed.DataPath, "spokes.db"), Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly }.ToString());
        await journal.OpenAsync();
        await using var count = journal.CreateCommand();
        count.CommandText = "SELECT SUM(CASE WHEN manifest = 'ev.tun.traffic' THEN 1 ELSE 0 END), SUM(CASE WHEN manifest = 'ev.tun.created' THEN 1 ELSE 0 END) FROM journal";
        await using var rows = await count.ExecuteReaderAsync();
        Assert.True(await rows.ReadAsync());
        Assert.Equal(0, rows.GetInt64(0));
        Assert.True(rows.GetInt64(1) >= 1, "the journal table holds the tunnels' creation");
    });

    private Task<(string Id, string Value)> CreateKeyAsync(string scope) => CreateKeyAsync(bed.Bed, scope);

    internal static async Task<(string Id, string Value)> CreateKeyAsync(SpokesTestbed node, string scope)
    {
        var created = (await node.CliAsync("apikey", "create", "--scope", scope, "--json")).ExpectExit(0);
        using var json = JsonDocument.Parse(created.Output);
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("value").GetString()!);
    }

    internal static async Task<HttpResponseMessage> ApiAsync(HttpClient https, string key, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return await https.SendAsync(request);
    }

    private static async Task ExpectProblemAsync(HttpResponseMessage response, int status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
        }
    }

    private HttpClient Https() => Https(bed.Bed);

    internal static HttpClient Https(SpokesTestbed node)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(node.CaPath);
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
        return new HttpClient(handler) { BaseAddress = new Uri($"https://{SpokesTestbed.Domain}:{node.HttpsPort}/"), Timeout = Visitor.Patience };
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
