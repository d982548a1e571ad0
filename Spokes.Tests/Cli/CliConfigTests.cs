using System.Diagnostics;
using Spokes.Actors.Security;
using Spokes.Tests.Cli.Testbed;

namespace Spokes.Tests.Cli;

/// <summary>Bad configuration and a missing cluster: one clear line and the right exit code, fast.</summary>
[Collection(CliCollection.Name)]
public sealed class CliConfigTests : IDisposable
{
    private readonly TestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string json, string name = "config.json")
    {
        File.WriteAllText(_folder[name], json);
        return _folder[name];
    }

    private static CliResult AssertOneLine(CliResult run, int exitCode, string mustName)
    {
        run.Expect(exitCode);
        var line = run.Stderr.Trim();
        Assert.DoesNotContain('\n', line);
        Assert.Contains(mustName, line);
        Assert.DoesNotContain(SpokesNode.ReadyLine, run.Stdout);
        return run;
    }

    [Theory]
    [InlineData("""{ "domain": "localhost", "bogusKey": 1 }""", "bogusKey")]
    [InlineData("""{ "cluster": { "hots": "127.0.0.1" } }""", "cluster.hots")]
    [InlineData("""{ "tunOptions": { "monitor": { "enabeld": true } } }""", "tunOptions.monitor.enabeld")]
    public async Task Start_UnknownKey_Exit2NamingTheKey(string json, string key)
    {
        AssertOneLine(await CliRunner.RunAsync(Write(json), null, "start"), 2, $"'{key}'");
    }

    [Theory]
    [InlineData("""{ "portRange": { "begin": 30000, "end": 29000 } }""", "portRange")]
    [InlineData("""{ "portRange": { "begin": 0, "end": 29000 } }""", "portRange.begin")]
    [InlineData("""{ "portRange": { "begin": 1000, "end": 70000 } }""", "portRange.end")]
    [InlineData("""{ "portRange": { "begin": "many" } }""", "portRange.begin")]
    [InlineData("""{ "cluster": { "seeds": ["nohostport"] } }""", "cluster.seeds[0]")]
    [InlineData("""{ "listen": { "http": "0.0.0.0" } }""", "listen.http")]
    [InlineData("""{ "limits": { "connectionsPerAddressPerTunnel": -1 } }""", "limits.connectionsPerAddressPerTunnel")]
    [InlineData("""{ "limits": { "tcpIdleSeconds": 9999999 } }""", "limits.tcpIdleSeconds")]
    [InlineData("""{ "limits": { "perAddress": 3 } }""", "limits.perAddress")]
    [InlineData("""{ "log": { "format": "xml" } }""", "log.format")]
    [InlineData("""{ "log": { "akka": "verbose" } }""", "log.akka")]
    [InlineData("""{ "console": { "sessionIdleMinutes": 1 } }""", "console.sessionIdleMinutes")]
    [InlineData("""{ "traffic": { "retentionDays": 0 } }""", "traffic.retentionDays")]
    [InlineData("""{ "limits": { "claimDomains": ["*.example.com", "not a name"] } }""", "limits.claimDomains")]
    [InlineData("""{ "console": { "sessionLifetimeHours": 1000 } }""", "console.sessionLifetimeHours")]
    [InlineData("""{ "console": { "sessionIdleMinutes": 600, "sessionLifetimeHours": 2 } }""", "console.sessionLifetimeHours")]
    public async Task Start_BadValue_Exit2NamingTheKey(string json, string key)
    {
        AssertOneLine(await CliRunner.RunAsync(Write(json), null, "start"), 2, key);
    }

    [Fact]
    public async Task Start_MissingFile_Exit2()
    {
        AssertOneLine(await CliRunner.RunAsync(_folder["absent.json"], null, "start"), 2, "absent.json");
    }

    [Fact]
    public async Task Start_DirectoryAsConfig_Exit2()
    {
        Directory.CreateDirectory(_folder["dir.json"]);
        AssertOneLine(await CliRunner.RunAsync(_folder["dir.json"], null, "start"), 2, "dir.json");
    }

    [Fact]
    public async Task Start_NotJson_Exit2()
    {
        AssertOneLine(await CliRunner.RunAsync(Write("{ domain: "), null, "start"), 2, "not valid JSON");
    }

    [Fact]
    public async Task AdminCommand_BadConfig_Exit2()
    {
        AssertOneLine(await CliRunner.RunAsync(Write("""{ "bogusKey": 1 }"""), null, "token", "ls"), 2, "bogusKey");
    }

    [Fact]
    public async Task AdminCommand_NoNodeRunning_Exit3Quickly()
    {
        ClusterCertificate.LoadOrCreate(_folder["data"], null);
        var config = NodeConfig.Fresh(_folder["data"]).WriteTo(_folder["config.json"]);
        var watch = Stopwatch.StartNew();
        var run = AssertOneLine(await CliRunner.RunAsync(config, null, "token", "ls"), 3, "cannot reach");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}\n{run}");
    }

    [Fact]
    public async Task AdminCommand_NoCertificate_Exit3()
    {
        var config = NodeConfig.Fresh(_folder["empty"]).WriteTo(_folder["config.json"]);
        AssertOneLine(await CliRunner.RunAsync(config, null, "users", "ls"), 3, "cluster certificate");
    }
}
