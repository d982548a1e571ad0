using System.Net;
using System.Net.Sockets;
using System.Text.Json;

using Spokes.Tests.Support;

namespace Spokes.Tests.Admin;

/// <summary>
/// A real <c>spokes start</c> process (data plane and console over HTTPS on loopback, SQLite in a temp folder)
/// and, on demand, a real <c>spokes-agent</c> registered against it. Built binaries are found from the
/// repository root (the folder holding Spokes.sln). Readiness is awaited on the processes' output lines.
/// </summary>
internal sealed class LiveNode : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly List<DotnetProcess> _processes = [];

    private LiveNode(string dir, int http, int https, DotnetProcess node)
    {
        Dir = dir;
        HttpPort = http;
        HttpsPort = https;
        _processes.Add(node);
    }

    public string Dir { get; }
    public int HttpPort { get; }
    public int HttpsPort { get; }
    public string ConfigPath => Path.Combine(Dir, "config.json");
    public string AgentConfigPath => Path.Combine(Dir, "agent", "config.json");
    /// <summary>The console is served for the node's own domain (localhost).</summary>
    public Uri ConsoleAddress => new($"https://localhost:{HttpsPort}/");

    public static async Task<LiveNode> StartAsync(string adminSecret)
    {
        var dir = Directory.CreateTempSubdirectory("spokes-live-").FullName;
        var (http, https, cluster, range) = (FreePort(), FreePort(), FreePort(), FreeRange(11));
        var config = new
        {
            domain = "localhost",
            dataPath = Path.Combine(dir, "data"),
            listen = new { http = $"127.0.0.1:{http}", https = $"127.0.0.1:{https}" },
            portRange = new { begin = range, end = range + 10 },
            cluster = new { host = "127.0.0.1", port = cluster },
        };
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
        var node = new DotnetProcess("node", Binaries.Spokes, ["start", "--config", Path.Combine(dir, "config.json")],
            new Dictionary<string, string?> { ["ADMIN_SECRET"] = adminSecret });
        var live = new LiveNode(dir, http, https, node);
        try
        {
            await node.WaitForLineAsync("spokes: node up", StartTimeout);
            return live;
        }
        catch
        {
            Console.Error.WriteLine(live.Logs());
            await live.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registration token from the CLI, <c>configure --registration -</c>, then <c>start</c> until the
    /// agent has connected and synced its rules. Returns the running agent.</summary>
    public async Task<DotnetProcess> StartAgentAsync(string userId)
    {
        var create = Track(new DotnetProcess("registration create", Binaries.Spokes,
            ["--config", ConfigPath, "registration", "create"]));
        if (await create.WaitForExitAsync(StartTimeout) != 0) throw new InvalidOperationException("registration create failed");
        var registration = create.Lines.Last(l => l.Trim().Length > 0).Trim();

        Directory.CreateDirectory(Path.GetDirectoryName(AgentConfigPath)!);
        var agent = Binaries.Agent;
        DotnetProcess Configure() => Track(new DotnetProcess("agent configure", agent,
        [
            "--config", AgentConfigPath, "configure", "--hostname", "localhost", "--port", HttpsPort.ToString(),
            "--address", "127.0.0.1", "--ca", Path.Combine(Dir, "data", "certs", "self-signed.crt"), "--id", userId,
            "--registration", "-",
        ], stdin: registration));
        int configured = await Configure().WaitForExitAsync(StartTimeout);
        // Exit 3: the node did not answer within the 10 s handshake (a node just started on two busy cores);
        // an operator runs it again, and so does the test, once.
        if (configured == 3) configured = await Configure().WaitForExitAsync(StartTimeout);
        if (configured != 0) throw new InvalidOperationException($"agent configure failed (exit {configured})");

        var running = Track(new DotnetProcess("agent", agent, ["--config", AgentConfigPath, "start"]));
        await running.WaitForLineAsync("connected to", StartTimeout);
        await running.WaitForLineAsync("synced", StartTimeout);
        return running;
    }

    /// <summary>Every process's output, for the failure message.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"----- {p.Name} -----\n{p.Output}"));

    private DotnetProcess Track(DotnetProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static int FreePort() => Spokes.Tests.DataPlane.Testbed.FreePorts.One();

    private static int FreeRange(int count) => Spokes.Tests.DataPlane.Testbed.FreePorts.Run(count);

    public async ValueTask DisposeAsync()
    {
        // Agents first, so that the node does not wait for them.
        for (var i = _processes.Count - 1; i >= 0; i--) await _processes[i].DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
