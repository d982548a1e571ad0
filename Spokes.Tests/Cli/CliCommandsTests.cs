using System.Text.Json;
using Spokes.Tests.Cli.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cli;

/// <summary>Every admin command against one real node, through the real binary.</summary>
[Collection(CliCollection.Name)]
public sealed class CliCommandsTests(SharedNode shared, ITestOutputHelper output) : IDisposable
{
    private readonly SpokesNode _node = shared.Node;
    private readonly NodeLogTail _tail = new(output, shared.Node);

    public void Dispose() => _tail.Dispose();

    private static string NewEmail() => $"u{Guid.NewGuid():N}"[..12] + "@example.com";

    private static void AssertKeys(JsonElement item, params string[] keys)
    {
        Assert.Equal(JsonValueKind.Object, item.ValueKind);
        foreach (var key in keys)
            Assert.True(item.TryGetProperty(key, out _), $"key '{key}' missing in {item}");
    }

    private Task<CliResult> AddUserAsync(string email, params string[] extra) =>
        _node.CliWithStdinAsync("correct horse battery", ["users", "add", "--email", email, "--password-stdin", .. extra]);

    private async Task<JsonElement> UserAsync(string email) =>
        (await _node.CliAsync("users", "ls", "--json")).JsonArray().Single(u => u.GetProperty("email").GetString() == email);

    [Fact]
    public async Task UsersAdd_NewAdmin_ListedWithSpecKeys()
    {
        var email = NewEmail();
        var added = (await AddUserAsync(email, "--fullname", "Ada Lovelace", "--enable2FA")).Expect(0);
        Assert.Contains("User created!", added.Stdout);
        Assert.Contains("Two-factor", added.Stdout);

        var user = await UserAsync(email);
        AssertKeys(user, "id", "email", "fullname", "origin", "created", "twoFactor");
        Assert.Equal("Ada Lovelace", user.GetProperty("fullname").GetString());
        Assert.Equal("Admin CLI", user.GetProperty("origin").GetString());
        Assert.True(user.GetProperty("twoFactor").GetBoolean());
        Assert.True(user.GetProperty("created").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task UsersAdd_DuplicateEmail_Exit1()
    {
        var email = NewEmail();
        (await AddUserAsync(email)).Expect(0);
        var again = (await AddUserAsync(email.ToUpperInvariant())).Expect(1);
        Assert.Contains("already exists", again.Stderr);
    }

    [Fact]
    public async Task UsersPasswd_FromStdin_UpdatedAndAudited()
    {
        var email = NewEmail();
        (await AddUserAsync(email)).Expect(0);
        var changed = (await _node.CliWithStdinAsync("another fine secret", "users", "passwd", "--email", email, "--password-stdin")).Expect(0);
        Assert.Contains("Password updated", changed.Stdout);
        var id = (await UserAsync(email)).GetProperty("id").GetString()!;
        var audit = (await _node.CliAsync("audit", "ls", "--json", "--since", "1h")).JsonArray();
        Assert.Contains(audit, e => e.GetProperty("entity").GetString() == "user-" + id &&
                                    e.GetProperty("event").GetString() == "password changed");
    }

    [Fact]
    public async Task UsersTwoFactor_EnableResetDisable_ShownInListing()
    {
        var email = NewEmail();
        (await AddUserAsync(email)).Expect(0);
        Assert.Contains("enabled", (await _node.CliAsync("users", "two-factor", "enable", "--email", email)).Expect(0).Stdout);
        Assert.True((await UserAsync(email)).GetProperty("twoFactor").GetBoolean());
        var id = (await UserAsync(email)).GetProperty("id").GetString()!;
        Assert.Contains("reset", (await _node.CliAsync("users", "two-factor", "reset", "--id", id)).Expect(0).Stdout);
        Assert.Contains("disabled", (await _node.CliAsync("users", "two-factor", "disable", "--email", email)).Expect(0).Stdout);
        Assert.False((await UserAsync(email)).GetProperty("twoFactor").GetBoolean());
    }

    [Fact]
    public async Task UsersRoleDisableEnable_OwnerRefusedUntilMadeAdmin_ShownInJson_BadRoleExit2()
    {
        var email = NewEmail();
        (await AddUserAsync(email)).Expect(0);
        Assert.Equal("owner", (await UserAsync(email)).GetProperty("role").GetString());
        var owner = (await _node.CliAsync("users", "disable", "--email", email)).Expect(1);
        Assert.Contains("make them an admin before disabling them", owner.Stderr);
        (await _node.CliAsync("users", "role", "boss", "--email", email)).Expect(2);
        // Another owner, so that this one is not the last (which stays one).
        (await AddUserAsync(NewEmail())).Expect(0);
        await Spokes.Tests.DataPlane.Testbed.Expect.Within(TimeSpan.FromSeconds(20)).That("made an admin once the other owner is listed", async () =>
            (await _node.CliAsync("users", "role", "admin", "--email", email)).Stdout.Contains("is now an admin", StringComparison.Ordinal));
        Assert.Contains("is disabled", (await _node.CliAsync("users", "disable", "--email", email)).Expect(0).Stdout);
        var listed = await UserAsync(email);
        Assert.Equal(("admin", true), (listed.GetProperty("role").GetString(), listed.GetProperty("disabled").GetBoolean()));
        Assert.Contains("is enabled", (await _node.CliAsync("users", "enable", "--email", email)).Expect(0).Stdout);
        Assert.False((await UserAsync(email)).GetProperty("disabled").GetBoolean());
        (await _node.CliAsync("users", "disable", "--id", "0123456789abcdef0123456789abcdef")).Expect(4);
    }

    [Fact]
    public async Task UsersLs_Table_ShowsHeadersAndUser()
    {
        var email = NewEmail();
        (await AddUserAsync(email)).Expect(0);
        var table = (await _node.CliAsync("users", "ls")).Expect(0).Stdout;
        Assert.Contains("| ID", table);
        Assert.Contains("| Email", table);
        Assert.Contains(email, table);
        Assert.Matches(@"\d+ users?", table);
    }

    [Fact]
    public async Task UnknownUser_PasswdAndTwoFactor_Exit4()
    {
        var email = NewEmail();
        (await _node.CliWithStdinAsync("whatever-secret", "users", "passwd", "--email", email, "--password-stdin")).Expect(4);
        (await _node.CliAsync("users", "two-factor", "enable", "--id", "0123456789abcdef0123456789abcdef")).Expect(4);
    }

    [Fact]
    public async Task Registration_DescriptionTooLongOrWithControls_Exit2_NothingCreated()
    {
        var tooLong = new string('d', 201);
        (await _node.CliAsync("registration", "create", "--description", tooLong)).Expect(2);
        (await _node.CliAsync("registration", "create", "--description", @"bell\u0007")).Expect(0);
        (await _node.CliAsync("registration", "create", "--description", "bell\u0007-raw")).Expect(2);
        var descriptions = (await _node.CliAsync("registration", "ls", "--json")).JsonArray()
            .Select(r => r.GetProperty("description").GetString()).ToList();
        Assert.DoesNotContain(tooLong, descriptions);
        Assert.DoesNotContain("bell\u0007-raw", descriptions);
        Assert.Contains(@"bell\u0007", descriptions);
    }

    [Fact]
    public async Task Registration_CreateListRemove_ValueShownAndDeactivated()
    {
        var value = (await _node.CliAsync("registration", "create", "--description", "beta testers")).SecretAfter("Registration token:");
        var listed = (await _node.CliAsync("registration", "ls", "--json")).JsonArray()
            .Single(r => r.GetProperty("value").GetString() == value[..14] + "...");
        AssertKeys(listed, "id", "created", "description", "value", "active");
        Assert.Equal("beta testers", listed.GetProperty("description").GetString());
        Assert.True(listed.GetProperty("active").GetBoolean());
        var id = listed.GetProperty("id").GetString()!;
        Assert.DoesNotContain(value, (await _node.CliAsync("registration", "ls", "--json")).Expect(0).Stdout);

        Assert.Contains("1 registration token deactivated", (await _node.CliAsync("registration", "rm", "--id", id)).Expect(0).Stdout);
        var table = (await _node.CliAsync("registration", "ls")).Expect(0).Stdout;
        var row = table.Split('\n').Single(l => l.Contains(id));
        Assert.Contains("false", row);
        Assert.DoesNotContain(value, table); // the table shows a truncated value
    }

    [Fact]
    public async Task Registration_UseLimitAndExpiry_ListedAndRangeChecked()
    {
        (await _node.CliAsync("registration", "create", "--uses", "0")).Expect(2);
        (await _node.CliAsync("registration", "create", "--expires", "2001-01-01")).Expect(2);
        (await _node.CliAsync("registration", "create", "--expires", "soon")).Expect(2);
        (await _node.CliAsync("registration", "create", "--expires", "99999d")).Expect(2);
        var created = (await _node.CliAsync("registration", "create", "--description", "limited", "--uses", "3", "--expires", "7d", "--json")).JsonObject();
        Assert.Equal(3, created.GetProperty("maxUses").GetInt32());
        Assert.Equal(0, created.GetProperty("uses").GetInt32());
        var expires = created.GetProperty("expires").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromDays(6.9), TimeSpan.FromDays(7.1));
        var row = (await _node.CliAsync("registration", "ls")).Expect(0).Stdout.Split('\n').Single(l => l.Contains(created.GetProperty("id").GetString()!));
        Assert.Contains("0/3", row);
    }

    [Fact]
    public async Task CreationCommands_Json_PrintTheListingsObject_WithTheWholeValueOnce()
    {
        var registration = (await _node.CliAsync("registration", "create", "--description", "json run", "--json")).JsonObject();
        AssertKeys(registration, "id", "created", "description", "value", "active");
        Assert.Equal("json run", registration.GetProperty("description").GetString());
        var registrationValue = registration.GetProperty("value").GetString()!;
        Assert.DoesNotContain("...", registrationValue);
        Assert.Contains((await _node.CliAsync("registration", "ls", "--json")).JsonArray(),
            r => r.GetProperty("id").GetString() == registration.GetProperty("id").GetString()
                 && r.GetProperty("value").GetString() == registrationValue[..14] + "...");

        var token = (await _node.CliAsync("token", "create", "--hostname", "json.example.com", "--json")).JsonObject();
        AssertKeys(token, "id", "created", "user", "tunnel", "hostname", "value", "active");
        Assert.Equal("json.example.com", token.GetProperty("hostname").GetString());
        var tokenValue = token.GetProperty("value").GetString()!;
        var listed = (await _node.CliAsync("token", "ls", "--json")).JsonArray().Single(t => t.GetProperty("id").GetString() == token.GetProperty("id").GetString());
        Assert.Equal(tokenValue[..16] + "...", listed.GetProperty("value").GetString());
        Assert.Contains((await _node.CliAsync("token", "ls", "--json", "--expand")).JsonArray(), t => t.GetProperty("value").GetString() == tokenValue);

        var email = $"json{Guid.NewGuid():N}"[..12] + "@example.com";
        var user = (await _node.CliWithStdinAsync("Json-Passw0rd-long", "users", "add", "--email", email, "--fullname", "Jay Son", "--password-stdin", "--json")).JsonObject();
        AssertKeys(user, "id", "email", "fullname", "origin", "created", "twoFactor");
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("Jay Son", user.GetProperty("fullname").GetString());
    }

    [Fact]
    public async Task ChangeCommands_Json_PrintOneObject()
    {
        var token = (await _node.CliAsync("token", "create", "--json")).JsonObject();
        var removed = (await _node.CliAsync("token", "rm", "--id", token.GetProperty("id").GetString()!, "--json")).JsonObject();
        Assert.Equal(1, removed.GetProperty("count").GetInt32());
        var registration = (await _node.CliAsync("registration", "create", "--json")).JsonObject();
        Assert.Equal(1, (await _node.CliAsync("registration", "rm", "--id", registration.GetProperty("id").GetString()!, "--json")).JsonObject()
            .GetProperty("count").GetInt32());
        var key = (await _node.CliAsync("apikey", "create", "--scope", "read", "--json")).JsonObject();
        Assert.Equal(1, (await _node.CliAsync("apikey", "rm", "--id", key.GetProperty("id").GetString()!, "--json")).JsonObject()
            .GetProperty("count").GetInt32());
        var clean = (await _node.CliAsync("clean", "--check", "--json")).JsonObject();
        AssertKeys(clean, "count", "fixed", "issues");
        Assert.False(clean.GetProperty("fixed").GetBoolean());
        var tunnel = (await _node.CliAsync("token", "create", "--json")).JsonObject().GetProperty("tunnel").GetString()!;
        Assert.False(string.IsNullOrEmpty((await _node.CliAsync("tunnel", "shutdown", "--id", tunnel, "--json")).JsonObject()
            .GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Token_CreateThenList_ReadsItsOwnWrite()
    {
        var value = (await _node.CliAsync("token", "create", "--hostname", "App.Example.com")).SecretAfter("Client auth-token:");
        var token = (await _node.CliAsync("token", "ls", "--json", "--expand")).JsonArray().Single(t => t.GetProperty("value").GetString() == value);
        AssertKeys(token, "id", "created", "user", "tunnel", "hostname", "value", "active");
        Assert.Equal("app.example.com", token.GetProperty("hostname").GetString());
        Assert.True(token.GetProperty("active").GetBoolean());

        var table = (await _node.CliAsync("token", "ls")).Expect(0).Stdout;
        Assert.DoesNotContain(value, table);
        Assert.Contains(value[..16] + "...", table);
        Assert.Contains(value, (await _node.CliAsync("token", "ls", "--expand")).Expect(0).Stdout);
    }

    [Fact]
    public async Task TokenRm_ItsTunnel_LeavesListingButShowsAsShutdownWithAll()
    {
        var value = (await _node.CliAsync("token", "create")).SecretAfter("Client auth-token:");
        var token = (await _node.CliAsync("token", "ls", "--json", "--expand")).JsonArray().Single(t => t.GetProperty("value").GetString() == value);
        var (id, tunnelId) = (token.GetProperty("id").GetString()!, token.GetProperty("tunnel").GetString()!);
        var tunnel = (await _node.CliAsync("tunnel", "ls", "--json")).JsonArray().Single(t => t.GetProperty("id").GetString() == tunnelId);
        AssertKeys(tunnel, "id", "user", "hostname", "online", "address", "uptimeSeconds", "bytesDaily", "bytesMonthly", "created", "state");
        Assert.Equal("active", tunnel.GetProperty("state").GetString());
        Assert.False(tunnel.GetProperty("online").GetBoolean());

        Assert.Contains("1 auth token deactivated", (await _node.CliAsync("token", "rm", "--id", id)).Expect(0).Stdout);
        Assert.DoesNotContain((await _node.CliAsync("tunnel", "ls", "--json")).JsonArray(), t => t.GetProperty("id").GetString() == tunnelId);
        var all = (await _node.CliAsync("tunnel", "ls", "--all", "--json")).JsonArray();
        Assert.Equal("shutdown", all.Single(t => t.GetProperty("id").GetString() == tunnelId).GetProperty("state").GetString());
        Assert.False((await _node.CliAsync("token", "ls", "--json")).JsonArray().Single(t => t.GetProperty("id").GetString() == id)
            .GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task TunnelShutdown_ById_ShutDownAndIdempotent()
    {
        var value = (await _node.CliAsync("token", "create", "--hostname", "shut.example.com")).SecretAfter("Client auth-token:");
        var tunnelId = (await _node.CliAsync("tunnel", "ls", "--json")).JsonArray()
            .Single(t => t.GetProperty("hostname").GetString() == "shut.example.com").GetProperty("id").GetString()!;
        Assert.Contains(tunnelId, (await _node.CliAsync("tunnel", "shutdown", "--id", tunnelId)).Expect(0).Stdout);
        (await _node.CliAsync("tunnel", "shutdown", "--id", tunnelId)).Expect(0);
        var table = (await _node.CliAsync("tunnel", "ls", "--all")).Expect(0).Stdout;
        Assert.Contains(tunnelId, table);
        Assert.Contains("| Hostname", table);
        _ = value;
    }

    [Fact]
    public async Task UnknownIds_ShutdownAndRemove_Exit4()
    {
        const string unknown = "0123456789abcdef0123456789abcdef";
        (await _node.CliAsync("tunnel", "shutdown", "--id", unknown)).Expect(4);
        (await _node.CliAsync("token", "rm", "--id", unknown)).Expect(4);
        (await _node.CliAsync("registration", "rm", "--id", unknown)).Expect(4);
    }

    [Theory]
    [InlineData("token", "rm")]
    [InlineData("token", "rm", "--id", "x", "--all")]
    [InlineData("registration", "rm")]
    [InlineData("users", "two-factor", "enable", "--email", "a@b.c", "--id", "x")]
    [InlineData("users", "two-factor", "enable")]
    [InlineData("tunnel", "shutdown")]
    [InlineData("tunnel", "bogus")]
    [InlineData("bogus")]
    [InlineData("token", "ls", "--nope")]
    [InlineData("audit", "ls", "--since", "last tuesday")]
    [InlineData("users", "add", "--email", "not-an-email", "--password-stdin")]
    [InlineData("users", "add", "--email", "x@example.com")]
    public async Task BadArguments_Exit2(params string[] args)
    {
        var run = await CliRunner.RunAsync(_node.ConfigPath, args.Contains("--password-stdin") ? "long enough secret" : null, args);
        run.Expect(2);
        Assert.NotEmpty(run.Stderr.Trim());
    }

    [Fact]
    public async Task UsersAdd_WeakPassword_Exit2()
    {
        var run = (await _node.CliWithStdinAsync("short", "users", "add", "--email", NewEmail(), "--password-stdin")).Expect(2);
        Assert.Contains("at least", run.Stderr);
    }

    [Fact]
    public async Task PortAndOnlineListings_NoAgent_EmptyButWellFormed()
    {
        Assert.Empty((await _node.CliAsync("port", "ls", "--json")).JsonArray());
        Assert.Contains("port allocations", (await _node.CliAsync("port", "ls")).Expect(0).Stdout);
        Assert.Empty((await _node.CliAsync("tunnel", "ls", "--online", "--json")).JsonArray());
    }

    [Fact]
    public async Task Clean_CheckThenFix_ReportsIssueCount()
    {
        Assert.Matches(@"Issues Found \(tunnels \+ ports\): \d+", (await _node.CliAsync("clean", "--check")).Expect(0).Stdout);
        Assert.Contains("Issues Fixed (tunnels + ports): ", (await _node.CliAsync("clean")).Expect(0).Stdout);
        Assert.Contains("Issues Found (tunnels + ports): 0", (await _node.CliAsync("clean", "--check")).Expect(0).Stdout);
    }

    [Fact]
    public async Task AuditLs_SinceAndJson_FiltersByTime()
    {
        (await _node.CliAsync("registration", "create", "--description", "audited")).SecretAfter("Registration token:");
        var recent = (await _node.CliAsync("audit", "ls", "--json", "--since", "10m")).JsonArray();
        AssertKeys(recent[0], "at", "entity", "by", "event");
        Assert.Contains(recent, e => e.GetProperty("event").GetString()!.Contains("('audited')") && e.GetProperty("by").GetString() == "cli");
        Assert.Empty((await _node.CliAsync("audit", "ls", "--json", "--since", "2099-01-01")).JsonArray());
        Assert.Contains("| Event", (await _node.CliAsync("audit", "ls", "--since", "10m")).Expect(0).Stdout);
    }

    [Fact]
    public async Task ClusterStatus_OneNode_UpLeaderAndSelf()
    {
        var node = Assert.Single((await _node.CliAsync("cluster", "status", "--json")).JsonArray());
        Assert.Equal($"127.0.0.1:{_node.ClusterPort}", node.GetProperty("address").GetString());
        Assert.Equal("up", node.GetProperty("status").GetString());
        Assert.True(node.GetProperty("leader").GetBoolean());
        Assert.True(node.GetProperty("self").GetBoolean());
    }
}
