using System.Text.Json;
using Spokes.Actors.Gateway;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>What the node refuses agents: another tunnel's domain, ports over maxPorts, a deactivated key.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class AgentPolicyTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task Registration_WithAUseLimit_RegistersThatManyAgents_ThenRefuses() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var token = await bed.Bed.NewRegistrationTokenAsync("--uses", "1", "--expires", "1h");
        var (_, first) = await bed.Bed.ConfigureAgentAsync("once-a", "once-a", registrationToken: token);
        first.ExpectExit(0).ExpectOutput("Agent configured");
        var tokensBefore = (await bed.Bed.AdminAsync(new ListTokensRequest())) is TokensReply before ? before.Tokens.Count : -1;
        var (_, second) = await bed.Bed.ConfigureAgentAsync("once-b", "once-b", registrationToken: token);
        Assert.NotEqual(0, second.Exit);
        Assert.Contains("used up", second.Output + second.Errors);
        Assert.Equal(tokensBefore, (await bed.Bed.AdminAsync(new ListTokensRequest())) is TokensReply after ? after.Tokens.Count : -2);
        var listed = (await bed.Bed.AdminAsync(new ListRegistrationsRequest())) is RegistrationsReply all
            ? all.Registrations.Single(r => r.Value == token) : null;
        Assert.Equal((1, 1), (listed!.Uses, listed.MaxUses));
    });

    [Theory]
    [InlineData("ops@example.com")]
    [InlineData("two words")]
    public Task Registration_AgentIdThatIsNotAnId_Refused_NoKeyMinted(string id) => bed.Bed.ScenarioAsync(output, async () =>
    {
        var tokensBefore = (await bed.Bed.AdminAsync(new ListTokensRequest())) is TokensReply before ? before.Tokens.Count : -1;
        var (_, configured) = await bed.Bed.ConfigureAgentAsync("nobody-" + id.Length, id);
        Assert.NotEqual(0, configured.Exit);
        Assert.Contains("is not an id", configured.Output + configured.Errors);
        Assert.Contains("refused (badRequest)", configured.Output + configured.Errors);
        Assert.Equal(tokensBefore, (await bed.Bed.AdminAsync(new ListTokensRequest())) is TokensReply after ? after.Tokens.Count : -2);
    });

    [Fact]
    public Task SecondAgent_AsksForADomainTheFirstHolds_RefusedWithTheReason() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var jill = await bed.Bed.AddAgentAsync("jill", "jill");
        await jill.StartAsync();

        var refused = await jill.RunAsync("http", "add", "--domain", TrafficFixture.AppDomain, "--destination", "127.0.0.1", "--http", "8080");

        refused.ExpectExit(1).ExpectError($"domain {TrafficFixture.AppDomain} belongs to another tunnel");
        using var http = bed.Visitor.Http(TrafficFixture.AppDomain);
        Assert.StartsWith("hello from backend", await http.GetStringAsync("hello"));
    });

    [Fact]
    public Task RuleWithAClearPassword_EditedIntoTheConfig_NotOffered_AndNeverServed() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "guarded.example.com";
        var olga = await bed.Bed.AddAgentAsync("olga", "olga");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(olga.ConfigPath))!.AsObject();
        config["http"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["domain"] = domain, ["destination"] = "127.0.0.1", ["httpPort"] = bed.HttpBackend.Port, ["password"] = "secret",
        });
        File.WriteAllText(olga.ConfigPath, config.ToJsonString());

        await olga.StartAsync();

        await olga.Process!.WaitForLineAsync(line => line.Contains($"rule http:{domain} not sent: --password is kept as a hash only",
            StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var rules = Assert.IsType<Spokes.Actors.Gateway.TunnelRulesReply>(await bed.Bed.AdminAsync(new Spokes.Actors.Gateway.TunnelRulesRequest(olga.TunnelId, null)));
        Assert.DoesNotContain(domain, rules.Http.Select(r => r.Domain));
        using var http = bed.Visitor.Http(domain);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync("hello"));
    });

    [Fact]
    public Task UserQuota_Tunnels_Ports_Domains_EnforcedOnRealAgents_AndShownWithUse() => bed.Bed.ScenarioAsync(output, async () =>
    {
        // A user of its own (the collection's bed is shared): its quota counts only what this test makes.
        var user = "quinn" + Guid.NewGuid().ToString("N")[..6];
        var quinn = await bed.Bed.AddAgentAsync(user, user);
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--max-tunnels", "1", "--max-ports", "1", "--domains", "*.quinn.example.com"))
            .ExpectExit(0).ExpectOutput("*.quinn.example.com");
        await quinn.StartAsync();

        (await quinn.RunAsync("tcp", "allocate")).ExpectExit(0);
        (await quinn.RunAsync("tcp", "allocate")).ExpectExit(1).ExpectError("1 of 1 allowed ports (user quota)");
        (await quinn.RunAsync("http", "add", "--domain", "web.elsewhere.example.com", "--destination", "127.0.0.1", "--http", "8080"))
            .ExpectExit(1).ExpectError("outside this user's allowed domains");
        (await quinn.RunAsync("http", "add", "--domain", "app.quinn.example.com", "--destination", "127.0.0.1",
            "--http", bed.HttpBackend.Port.ToString())).ExpectExit(0);
        // A second agent registering as the same user would be a second tunnel: refused, and no key is minted.
        var (_, second) = await bed.Bed.ConfigureAgentAsync(user + "b", user);
        second.ExpectExit(1).ExpectError("already has 1 tunnel");

        var shown = (await bed.Bed.CliAsync("users", "quota", "--email", user, "--json")).ExpectExit(0);
        using (var json = System.Text.Json.JsonDocument.Parse(shown.Output))
        {
            Assert.Equal(1, json.RootElement.GetProperty("tunnels").GetInt32());
            Assert.Equal(1, json.RootElement.GetProperty("ports").GetInt32());
            Assert.Contains(json.RootElement.GetProperty("domainsInUse").EnumerateArray(), d => d.GetString() == "app.quinn.example.com");
        }
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--monthly-bytes", "-5")).ExpectExit(2).ExpectError("quotas are 0");
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--max-ports", "-1")).ExpectExit(2).ExpectError("quotas are 0");
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--domains", "not a domain")).ExpectExit(2).ExpectError("is not a domain");
        (await bed.Bed.CliAsync("users", "quota", "--email", "nobody-here", "--max-ports", "1")).ExpectExit(4);
        // Lifted: 0 and an empty list mean no limit.
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--max-ports", "0", "--domains", "")).ExpectExit(0).ExpectOutput("no limit");
        (await quinn.RunAsync("tcp", "allocate")).ExpectExit(0);
    });

    [Fact]
    public Task UserQuota_MonthlyBytes_Reached_NewVisitorsRefused_UntilRaised() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var user = "cora" + Guid.NewGuid().ToString("N")[..6];
        var cora = await bed.Bed.AddAgentAsync(user, user);
        (await cora.RunAsync("http", "add", "--domain", "cora.example.com", "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString()))
            .ExpectExit(0);
        await cora.StartAsync();
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--monthly-bytes", "200000")).ExpectExit(0).ExpectOutput("195.31 KiB");
        async Task<bool> ServedAsync(int size)
        {
            try
            {
                using var http = bed.Visitor.Http("cora.example.com");
                using var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new ByteArrayContent(new byte[size]) };
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request);
                return response.StatusCode == System.Net.HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }
        Assert.True(await ServedAsync(256 * 1024));
        // Counted within the recorder's 3 s and the nodes' 5 s poll; then no new visitor gets through.
        await Expect.Within(30.Seconds()).That("visitors refused over the cap", async () => !await ServedAsync(16));
        var quota = (await bed.Bed.CliAsync("users", "quota", "--email", user, "--json")).ExpectExit(0);
        using (var json = System.Text.Json.JsonDocument.Parse(quota.Output))
            Assert.True(json.RootElement.GetProperty("bytesThisMonth").GetInt64() >= 512 * 1024);
        (await bed.Bed.CliAsync("users", "quota", "--email", user, "--monthly-bytes", "0")).ExpectExit(0);
        await Expect.Within(30.Seconds()).That("visitors served again once the cap is lifted", () => ServedAsync(16));
    });

    [Fact]
    public Task MaxPorts_ThirdAllocation_FailsWithExitOne() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var mike = await bed.Bed.AddAgentAsync("mike", "mike");
        await mike.StartAsync();

        for (int i = 0; i < TrafficFixture.MaxPorts; i++)
        {
            var allocated = (await mike.RunAsync("tcp", "allocate", "--json")).ExpectExit(0);
            using var json = System.Text.Json.JsonDocument.Parse(allocated.Output);
            Assert.InRange(json.RootElement.GetProperty("port").GetInt32(), bed.Bed.PortRangeBegin, bed.Bed.PortRangeBegin + 20);
        }

        (await mike.RunAsync("tcp", "allocate")).ExpectExit(1).ExpectError($"of {TrafficFixture.MaxPorts} allowed ports");
    });

    [Fact]
    public Task InactiveKey_RunningAgentShutDown_AndAFreshStartExitsOnePromptly() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var kate = await bed.Bed.AddAgentAsync("kate", "kate");
        await kate.StartAsync();
        var tokens = (await bed.Bed.CliAsync("token", "ls", "--json", "--expand")).ExpectExit(0);
        using var json = JsonDocument.Parse(tokens.Output);
        string id = json.RootElement.EnumerateArray().Single(t => t.GetProperty("value").GetString() == kate.Key).GetProperty("id").GetString()!;

        (await bed.Bed.CliAsync("token", "rm", "--id", id)).ExpectExit(0);

        Assert.Equal(1, await kate.Process!.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        var again = await kate.LaunchAsync();
        Assert.Equal(1, await again.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains(again.Lines, line => line.StartsWith("auth token refused by server", StringComparison.Ordinal));
        Assert.DoesNotContain(again.Lines, line => line.Contains("retrying in", StringComparison.Ordinal));
        Assert.DoesNotContain(kate.Key, again.Output);
    });

    [Fact]
    public Task Deauth_RevokesTheTokenOnTheServer_RunningAgentStops_KeyRefusedAfterwards() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var lena = await bed.Bed.AddAgentAsync("lena", "lena");
        await lena.StartAsync();
        var running = lena.Process!;
        var key = lena.Key;
        var id = await TokenIdAsync(key);
        var connected = DateTimeOffset.UtcNow;

        var deauth = (await lena.RunAsync("deauth")).ExpectExit(0).ExpectOutput($"Auth token {id} revoked on the server and removed");

        Assert.DoesNotContain(key, deauth.Output);
        Assert.Equal(1, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.False(await TokenActiveAsync(id));
        Assert.Contains(await bed.Bed.TunnelsAsync(), t => t.Id == lena.TunnelId && !t.Online);
        // Its link's close is its "last seen" (later than the session's start, and no traffic went through it).
        await Expect.Within(20.Seconds()).That("the tunnel's last seen after its link closed",
            async () => (await bed.Bed.TunnelAsync(lena.TunnelId)).LastSeen >= connected);
        Assert.DoesNotContain(key, File.ReadAllText(lena.ConfigPath));
        (await lena.RunAsync("deauth")).ExpectExit(4).ExpectError("no auth token in the config");
        (await lena.RunWithStdinAsync(key, "configure", "--hostname", SpokesTestbed.Domain, "--port", bed.Bed.HttpsPort.ToString(),
            "--address", "127.0.0.1", "--key", "-", "--ca", bed.Bed.CaPath)).ExpectExit(0);
        var again = await lena.LaunchAsync();
        Assert.Equal(1, await again.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains(again.Lines, line => line.StartsWith("auth token refused by server", StringComparison.Ordinal));
    });

    [Fact]
    public Task NodeLog_AnAgentsLinesCarryItsConnectionSessionAndTunnel() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var mark = bed.Bed.Log.Count;
        var logan = await bed.Bed.AddAgentAsync("logan", "logan");
        await logan.StartAsync();
        var lines = bed.Bed.Log.Since(mark, int.MaxValue).Split('\n');
        // The registration's connection, as Kestrel's connections are named in their lines.
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @"\[node\] \d\d:\d\d:\d\d info: Spokes\.Edge\.Sessions\.AgentConnectionHandler\[0\] => ConnectionId:S[0-9A-F]{10} agent from 127\.0\.0\.1 registered auth token [0-9a-f]{32}$"));
        // The session's line, from its actor, in the same form.
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            $@"\[node\] \d\d:\d\d:\d\d info: akka[.a-z]*://spokes@[0-9.:]+/user/sessions/session-(?<s>[0-9a-f]{{32}}) tunnel {logan.TunnelId} online from 127\.0\.0\.1 \(session \k<s>\)"));
    });

    [Fact]
    public Task TunnelShutdown_DeactivatesItsAuthToken() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var nora = await bed.Bed.AddAgentAsync("nora", "nora");
        var token = await TokenAsync(nora.Key);
        var id = token.GetProperty("id").GetString()!;
        Assert.True(await TokenActiveAsync(id));

        (await bed.Bed.CliAsync("tunnel", "shutdown", "--id", token.GetProperty("tunnel").GetString()!)).ExpectExit(0);

        Assert.False(await TokenActiveAsync(id));
        var start = await nora.LaunchAsync();
        Assert.Equal(1, await start.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains(start.Lines, line => line.StartsWith("auth token refused by server", StringComparison.Ordinal));
    });

    private async Task<JsonElement> TokenAsync(string key)
    {
        var tokens = (await bed.Bed.CliAsync("token", "ls", "--json", "--expand")).ExpectExit(0);
        using var json = JsonDocument.Parse(tokens.Output);
        return json.RootElement.EnumerateArray().Single(t => t.GetProperty("value").GetString() == key).Clone();
    }

    private async Task<string> TokenIdAsync(string key) => (await TokenAsync(key)).GetProperty("id").GetString()!;

    private async Task<bool> TokenActiveAsync(string id)
    {
        var tokens = (await bed.Bed.CliAsync("token", "ls", "--json", "--expand")).ExpectExit(0);
        using var json = JsonDocument.Parse(tokens.Output);
        return json.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == id).GetProperty("active").GetBoolean();
    }
}
