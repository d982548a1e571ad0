using System.Text.Json;
using Spokes.Actors.Client;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Xunit.Abstractions;

using Spokes.Tests.Support;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>
/// One end-to-end bed: a real node process (<c>spokes start</c>) on free loopback ports with its own temp
/// config and data, the agents started against it, and the log of every process. The node can be killed and
/// started again on the same data and ports. State is read through the same admin request the CLI sends
/// (<c>tunnel ls</c>), over one in-process cluster client, so deadlines of a second or two can be checked.
/// </summary>
internal sealed class SpokesTestbed : IAsyncDisposable
{
    public const string Domain = "localhost";
    private static readonly TimeSpan NodeStartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<TestAgent> _agents = [];
    private readonly List<SpokesProcess> _peers = [];
    private SpokesProcess? _node;
    private int _nodeStarts;
    private ClusterAdminClient? _admin;

    private readonly int _agentNodes;

    /// <param name="agentNodes">cluster.agentNodes of every node (on how many nodes an agent keeps connections).</param>
    /// <param name="limits">the config's <c>limits</c> section, or null for the defaults.</param>
    /// <param name="domain">the config's <c>domain</c> (agents dial 127.0.0.1 with it as the TLS name).</param>
    public SpokesTestbed(int maxPorts = 5, int agentNodes = 2, object? limits = null, string domain = Domain)
    {
        _agentNodes = agentNodes;
        ServerDomain = domain;
        // Short: agent sockets live under it and a Unix socket path must stay under ~100 bytes.
        Directory = Path.Combine(Path.GetTempPath(), "sd-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        DataPath = Path.Combine(Directory, "data");
        ConfigPath = Path.Combine(Directory, "config.json");
        HttpPort = FreePorts.One();
        HttpsPort = FreePorts.One();
        ClusterPort = FreePorts.One();
        PortRangeBegin = FreePorts.Run(21);
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(new
        {
            domain,
            dataPath = DataPath,
            listen = new { http = $"127.0.0.1:{HttpPort}", https = $"127.0.0.1:{HttpsPort}" },
            portRange = new { begin = PortRangeBegin, end = PortRangeBegin + 20 },
            tunOptions = new { maxPorts },
            cluster = new { host = "127.0.0.1", port = ClusterPort, agentNodes },
            limits,
        }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }

    public ProcessLog Log { get; } = new();

    /// <summary>The domain the nodes start with (config.json).</summary>
    public string ServerDomain { get; }

    public string Directory { get; }

    public string DataPath { get; }

    public string ConfigPath { get; }

    public string CaPath => Path.Combine(DataPath, "certs", "self-signed.crt");

    public int HttpPort { get; }

    public int HttpsPort { get; }

    public int ClusterPort { get; }

    public int PortRangeBegin { get; }

    public static async Task<SpokesTestbed> StartAsync(int maxPorts = 5, int agentNodes = 2, object? limits = null, string domain = Domain)
    {
        var bed = new SpokesTestbed(maxPorts, agentNodes, limits, domain);
        try
        {
            await bed.StartNodeAsync();
            return bed;
        }
        catch (Exception ex)
        {
            string log = bed.Log.Since(0);
            await bed.DisposeAsync();
            throw new InvalidOperationException($"the testbed did not start: {ex.Message}\n--- processes ---\n{log}", ex);
        }
    }

    /// <summary>Starts the node (again, after <see cref="KillNodeAsync"/>) and waits for "node up".</summary>
    public async Task StartNodeAsync()
    {
        if (_node is { HasExited: false })
        {
            throw new InvalidOperationException("the node is already running");
        }

        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        _nodeStarts++;
        _node = SpokesProcess.Start(_nodeStarts == 1 ? "node" : $"node#{_nodeStarts}", Binaries.Spokes, ["start", "--config", ConfigPath], Log);
        await _node.WaitForLineAsync(line => line.StartsWith("spokes: node up", StringComparison.Ordinal), NodeStartTimeout);
    }

    /// <summary>Starts a second node joining this one's cluster, on the same data folder (store, cluster
    /// certificate, server certificate) with ports of its own.</summary>
    public async Task<PeerNode> StartPeerAsync()
    {
        var peer = new PeerNode(FreePorts.One(), FreePorts.One(), FreePorts.One());
        var path = Path.Combine(Directory, $"peer-{_peers.Count + 1}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            domain = ServerDomain,
            dataPath = DataPath,
            listen = new { http = $"127.0.0.1:{peer.HttpPort}", https = $"127.0.0.1:{peer.HttpsPort}" },
            portRange = new { begin = PortRangeBegin, end = PortRangeBegin + 20 },
            cluster = new { host = "127.0.0.1", port = peer.ClusterPort, seeds = new[] { $"127.0.0.1:{ClusterPort}" }, agentNodes = _agentNodes },
        }));
        var process = SpokesProcess.Start($"peer{_peers.Count + 1}", Binaries.Spokes, ["start", "--config", path], Log);
        _peers.Add(process);
        await process.WaitForLineAsync(line => line.StartsWith("spokes: node up", StringComparison.Ordinal), NodeStartTimeout);
        return peer;
    }

    /// <summary>SIGKILL: nothing is flushed or said goodbye to.</summary>
    public async Task KillNodeAsync()
    {
        await DropAdminAsync();
        if (_node is not null)
        {
            await _node.KillAsync();
        }
    }

    /// <summary>Runs <c>spokes --config CONFIG args</c> to completion.</summary>
    public async Task<CliResult> CliAsync(params string[] args)
    {
        await using var cli = SpokesProcess.Start("spokes " + string.Join(' ', args.Take(2)), Binaries.Spokes, ["--config", ConfigPath, .. args], Log);
        int exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(exit, cli.StandardOutput, cli.Errors);
    }

    /// <summary>A new agent with its own auth token, minted from a new registration token (the manual's flow).</summary>
    public async Task<TestAgent> AddAgentAsync(string name, string user, int? httpsPort = null)
    {
        var (agent, configured) = await ConfigureAgentAsync(name, user, httpsPort);
        configured.ExpectExit(0).ExpectOutput("Agent configured");
        return agent;
    }

    /// <summary>An agent configured with a fresh registration token and <c>--id <paramref name="user"/></c>, and what
    /// <c>configure</c> answered.</summary>
    /// <param name="ca">the CA file the agent trusts; null: the node's self-signed certificate file itself.</param>
    public async Task<(TestAgent Agent, CliResult Configured)> ConfigureAgentAsync(string name, string user, int? httpsPort = null,
        string? registrationToken = null, string? ca = null)
    {
        string token = registrationToken ?? await NewRegistrationTokenAsync();
        var agent = new TestAgent(this, name);
        _agents.Add(agent);
        var configured = await agent.RunWithStdinAsync(token, "configure", "--hostname", ServerDomain, "--port", (httpsPort ?? HttpsPort).ToString(),
            "--address", "127.0.0.1", "--registration", "-", "--id", user, "--ca", ca ?? CaPath);
        return (agent, configured);
    }

    /// <summary>A registration token from <c>spokes registration create</c> with <paramref name="options"/>.</summary>
    public async Task<string> NewRegistrationTokenAsync(params string[] options)
    {
        var registration = (await CliAsync(["registration", "create", .. options])).ExpectExit(0).ExpectOutput("Registration token:");
        return registration.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
    }

    public async Task<IReadOnlyList<TunnelDto>> TunnelsAsync()
    {
        var reply = await AdminAsync(new ListTunnelsRequest(OnlineOnly: false, All: true));
        return reply is TunnelsReply tunnels ? tunnels.Tunnels : throw new InvalidOperationException($"tunnel ls: {reply}");
    }

    public async Task<TunnelDto> TunnelAsync(string id) =>
        (await TunnelsAsync()).SingleOrDefault(t => t.Id == id) ?? throw new InvalidOperationException($"no tunnel {id}");

    public async Task<IWireMessage> AdminAsync(IAdminRequest request)
    {
        try
        {
            _admin ??= await ClusterAdminClient.ConnectAsync([("127.0.0.1", ClusterPort)],
                ClusterCertificate.Load(ClusterCertificate.PathFor(DataPath, null)));
            return await _admin.SendAsync(request, TimeSpan.FromSeconds(5));
        }
        catch (ClusterUnreachableException)
        {
            await DropAdminAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs a test body; when it fails, every process line written since it began goes to the test output.
    /// </summary>
    public async Task ScenarioAsync(ITestOutputHelper output, Func<Task> body)
    {
        int mark = Log.Count;
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine($"--- testbed {Directory}: http {HttpPort}, https {HttpsPort}, cluster {ClusterPort}, ports {PortRangeBegin}+20 ---");
            output.WriteLine(Log.Since(mark));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await DropAdminAsync();
        foreach (var peer in _peers)
        {
            await peer.DisposeAsync();
        }

        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A process still closing a file: the temp folder is cleaned by the OS.
        }
    }

    private async Task DropAdminAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
            _admin = null;
        }
    }
}

/// <summary>The outcome of a one-shot command, with fluent checks that quote the output when they fail.</summary>
internal sealed record CliResult(int Exit, string Output, string Errors)
{
    public CliResult ExpectExit(int expected)
    {
        Assert.True(Exit == expected, $"expected exit {expected}, got {Exit}\nstdout:\n{Output}\nstderr:\n{Errors}");
        return this;
    }

    public CliResult ExpectOutput(string contains)
    {
        Assert.True(Output.Contains(contains, StringComparison.Ordinal), $"expected \"{contains}\" in stdout:\n{Output}\nstderr:\n{Errors}");
        return this;
    }

    public CliResult ExpectError(string contains)
    {
        Assert.True(Errors.Contains(contains, StringComparison.Ordinal) || Output.Contains(contains, StringComparison.Ordinal),
            $"expected \"{contains}\" in the output:\nstdout:\n{Output}\nstderr:\n{Errors}");
        return this;
    }
}

/// <summary>The ports of a second node started by <see cref="SpokesTestbed.StartPeerAsync"/>.</summary>
internal sealed record PeerNode(int HttpPort, int HttpsPort, int ClusterPort);
