using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Agent;

/// <summary>The real spokes-agent binary against a test node on loopback (Unix: modes and sockets).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class AgentProcessTests
{
    [Fact]
    public async Task Configure_KeyFromStdin_SavesOwnerOnlyConfigAndNeverPrintsTheKey()
    {
        await using var bed = new AgentTestbed();

        var (exit, output, _) = await bed.RunWithStdinAsync("stdin-key-abcdef0123", "configure", "--hostname", TestNode.Hostname,
            "--address", "127.0.0.1", "--port", bed.Node.Port.ToString(), "--key", "-", "--ca", bed.Node.CaPath);

        Assert.Equal(0, exit);
        Assert.Contains("Agent configured", output);
        Assert.Contains("stdin-ke...", output);
        Assert.DoesNotContain("stdin-key-abcdef0123", output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bed.ConfigPath));
        using var saved = JsonDocument.Parse(File.ReadAllText(bed.ConfigPath));
        Assert.Equal("stdin-key-abcdef0123", saved.RootElement.GetProperty("key").GetString());
        Assert.Equal("127.0.0.1", saved.RootElement.GetProperty("address").GetString());
    }

    [Fact]
    public async Task Configure_Registration_MintsTheKeyOverTlsWithTheCa()
    {
        await using var bed = new AgentTestbed();

        var (exit, output, _) = await bed.RunWithStdinAsync("reg-token", "configure", "--hostname", TestNode.Hostname,
            "--address", "127.0.0.1", "--port", bed.Node.Port.ToString(), "--registration", "-", "--id", "alice", "--ca", bed.Node.CaPath);

        Assert.True(exit == 0, output);
        var register = await bed.Node.Registrations.Reader.ReadAsync();
        Assert.Equal("reg-token", register.RegistrationToken);
        Assert.Equal("alice", register.UserId);
        Assert.Contains("minted-r...", output);
        Assert.Contains("\"minted-reg-token\"", File.ReadAllText(bed.ConfigPath));
    }

    [Theory]
    [InlineData("http", "add", "--domain", "not a domain", "--destination", "localhost")]
    [InlineData("http", "add", "--domain", "a.example.com", "--destination", "localhost", "--http", "70000")]
    [InlineData("http", "add", "--domain", "a.example.com", "--destination", "localhost", "--basic-user", "u")]
    [InlineData("http", "add", "--domain", "a.example.com", "--destination", "localhost", "--letsencrypt", "--cert", "c.pem", "--key", "k.pem")]
    [InlineData("tcp", "forward", "--port", "0", "--destination", "db", "--dstport", "5432")]
    [InlineData("configure", "--hostname", "spokes.test", "--key", "k", "--registration", "r")]
    [InlineData("http", "add", "--domain", "a.example.com")]
    [InlineData("no-such-command")]
    public async Task BadInput_ExitsTwoWithOneLine(params string[] args)
    {
        await using var bed = new AgentTestbed();

        var (exit, _, errors) = await bed.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task HttpAdd_RedirectWithoutTls_RefusedWithExitTwo()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();

        var (exit, _, errors) = await bed.RunAsync(["http", "add", "--domain", "a.example.com", "--destination", "localhost", "--http", "80", "--redirect"]);

        Assert.Equal(2, exit);
        Assert.Contains("the rule needs --tls", errors);
    }

    [Theory]
    [InlineData("--letsencrypt terminates TLS on the agent", "--tls", "443", "--letsencrypt")]
    [InlineData("--letsencrypt needs --http", "--letsencrypt")]
    [InlineData("is not a directory", "--webroot", "/nonexistent/spokes-www")]
    [InlineData("--http and --tls do not apply", "--webroot", "/tmp", "--http", "80")]
    [InlineData("--host-header 'bad host!' is not a host name", "--http", "80", "--host-header", "bad host!")]
    [InlineData("--password: password must have at least 8 characters", "--http", "80", "--password", "short")]
    [InlineData("--basic-user and --basic-pass go together", "--http", "80", "--basic-user", "u")]
    [InlineData("--cert/--key cannot be loaded", "--http", "80", "--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem")]
    [InlineData("--cert/--key terminate TLS on the agent", "--tls", "443", "--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem")]
    public async Task HttpAdd_BadOrUnsupportedOption_RefusedWithExitTwo_NothingSaved(string error, params string[] option)
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        string before = File.ReadAllText(bed.ConfigPath);

        var (exit, _, errors) = await bed.RunAsync(["http", "add", "--domain", "a.example.com", "--destination", "localhost", .. option]);

        Assert.Equal(2, exit);
        Assert.Contains(error, errors);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(before, File.ReadAllText(bed.ConfigPath));
    }

    [Fact]
    public async Task Start_HandshakesAndSyncsSavedRules_ThenRelaysHttpStreamToLocalService()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        int backend = bed.StartEchoBackend();
        Assert.Equal(0, (await bed.RunAsync("http", "add", "--domain", "app.example.com", "--destination", "127.0.0.1", "--http", backend.ToString())).Exit);

        var (_, link) = await bed.StartAsync();
        var sync = await bed.Node.NextRequestAsync<SyncRules>();

        Assert.Equal("test-key-0123456789", link.Hello.Key);
        Assert.Equal(ConnectionRole.Control, link.Hello.Role);
        var rule = Assert.Single(sync.Http);
        Assert.Equal(("app.example.com", backend), (rule.Domain, rule.HttpPort!.Value));

        var stream = await link.OpenStreamAsync(new StreamOpenHeader { Kind = StreamKind.Http, Domain = "app.example.com", ClientAddress = "203.0.113.5:40211" });
        byte[] payload = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        byte[] echoed = await ExchangeAsync(stream, payload);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(echoed));
    }

    [Fact]
    public async Task Start_NodePushesTcpForward_AppliedSavedAndTcpStreamHalfCloses()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        int backend = bed.StartEchoBackend();
        var (agent, link) = await bed.StartAsync();

        await link.PushAsync(new TcpAllocated { Port = TestNode.AllocatedPort });
        await link.PushAsync(new TcpForward { Port = TestNode.AllocatedPort, Destination = "127.0.0.1", DstPort = backend });
        var stream = await link.OpenStreamAsync(new StreamOpenHeader { Kind = StreamKind.Tcp, Port = TestNode.AllocatedPort, ClientAddress = "198.51.100.1:5000" });
        byte[] echoed = await ExchangeAsync(stream, "hello over tcp"u8.ToArray());

        Assert.Equal("hello over tcp"u8.ToArray(), echoed);
        var (_, list, _) = await bed.RunAsync("tcp", "ls", "--json");
        Assert.Contains($"\"port\":{TestNode.AllocatedPort},\"destination\":\"127.0.0.1\",\"dstPort\":{backend}", list);

        var unknown = await link.OpenStreamAsync(new StreamOpenHeader { Kind = StreamKind.Http, Domain = "nobody.example.com", ClientAddress = "198.51.100.1:5001" });
        await Assert.ThrowsAnyAsync<Exception>(() => ExchangeAsync(unknown, "x"u8.ToArray()));
        await agent.WaitForLineAsync("http nobody.example.com reset: no rule for it");
    }

    [Fact]
    public async Task RuleCommands_WhileRunning_GoThroughLocalApiToTheNode()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        await bed.StartAsync();
        await bed.Node.NextRequestAsync<SyncRules>();

        var added = await bed.RunAsync("http", "add", "--domain", "live.example.com", "--destination", "localhost", "--http", "8080");
        Assert.True(added.Exit == 0, added.Output);
        var add = await bed.Node.NextRequestAsync<HttpAdd>();
        Assert.Equal("live.example.com", add.Rule.Domain);
        Assert.Contains("live.example.com", File.ReadAllText(bed.ConfigPath));

        var refused = await bed.RunAsync("http", "add", "--domain", TestNode.TakenDomain, "--destination", "localhost", "--http", "8080");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("belongs to another tunnel", refused.Errors);
        Assert.DoesNotContain(TestNode.TakenDomain, File.ReadAllText(bed.ConfigPath));

        var allocated = await bed.RunAsync("tcp", "allocate");
        Assert.Equal(0, allocated.Exit);
        Assert.Equal(TestNode.AllocatedPort.ToString(), allocated.Output.Trim());

        var status = await bed.RunAsync("status", "--json");
        using var json = JsonDocument.Parse(status.Output);
        Assert.True(json.RootElement.GetProperty("connected").GetBoolean());
        Assert.Equal("t-1", json.RootElement.GetProperty("tunnelId").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("httpRules").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("tcpRules").GetInt32());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Path.GetDirectoryName(bed.ConfigPath)!, "agent.sock")));
    }

    [Fact]
    public async Task Start_KeyRefusedAsInactive_ExitsOneAtOnceWithoutRetrying()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        bed.Node.Admit = _ => new Refused { Code = RefusalCodes.Inactive, Message = "tunnel is deactivated" };

        await using var agent = AgentProcess.Start(bed.ConfigPath, "start");

        Assert.Equal(1, await agent.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("auth token refused by server", agent.Output);
        Assert.Contains("run spokes-agent configure", agent.Output);
        Assert.DoesNotContain("test-key-0123456789", agent.Output);
        Assert.Equal(1, bed.Node.Hellos);
    }

    [Fact]
    public async Task Start_ConnectionDropped_ReconnectsAtOnce_ThenShutdownStopsIt()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();
        var (agent, first) = await bed.StartAsync();

        first.Drop();
        // A session that worked is retried at once (backoff is for connections that fail).
        await agent.WaitForLineAsync(line => line.StartsWith("disconnected: ", StringComparison.Ordinal) && line.EndsWith("; reconnecting"));
        var second = await bed.Node.NextLinkAsync();
        await agent.WaitForLineAsync("connected to spokes.test (tunnel t-1)", skip: 1);

        await second.Control.SendAsync(new Shutdown { Reason = "tunnel deactivated by an administrator" });
        Assert.Equal(1, await agent.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("tunnel deactivated by an administrator", agent.Output);
    }

    [Fact]
    public async Task Status_NoAgentRunning_PrintsConfigAndNotRunning()
    {
        await using var bed = new AgentTestbed();
        await bed.ConfigureAsync();

        var (exit, output, _) = await bed.RunAsync("status");

        Assert.Equal(0, exit);
        Assert.Contains("not running", output);
        Assert.Contains($"spokes.test:{bed.Node.Port}", output);
    }

    /// <summary>Writes the payload, half-closes, and reads until the agent's side finishes.</summary>
    private static async Task<byte[]> ExchangeAsync(MuxStream stream, byte[] payload)
    {
        var writing = Task.Run(async () =>
        {
            await stream.Output.WriteAsync(payload);
            await stream.Output.CompleteAsync();
        });
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            ReadResult result = await stream.Input.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            stream.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await writing;
        return received.ToArray();
    }
}
