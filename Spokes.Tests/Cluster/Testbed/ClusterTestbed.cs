using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using Spokes.Actors.Client;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Tests.DataPlane;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster.Testbed;

/// <summary>
/// A cluster as an operator runs one: nodes on 127.0.0.1, .2, .3 (same ports on each address), one real
/// PostgreSQL (a fresh database), HAProxy in TCP mode on 127.0.0.10 in front of the HTTP, HTTPS and leased
/// ports with health checks on <c>/readyz</c>, and agents configured with the balancer's address. Every seed
/// list names every node. The CLI and the admin client reach the cluster through any node.
/// </summary>
internal sealed class ClusterTestbed : IAsyncDisposable
{
    public const string Domain = "localhost";
    public const string BalancerHost = "127.0.0.10";
    public const int PortCount = 10;
    public static readonly TimeSpan NodeStartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<TestAgent> _agents = [];
    private readonly Func<ClusterNode, object?>? _tls;
    private ClusterAdminClient? _admin;

    private ClusterTestbed(int nodes, int drainSeconds, Func<ClusterNode, object?>? tls, IReadOnlyDictionary<string, string?>? environment,
        int? httpPort)
    {
        _tls = tls;
        Environment = environment;
        Directory = Path.Combine(Path.GetTempPath(), "sc-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        DataPath = Path.Combine(Directory, "data");
        string[] hosts = [.. Enumerable.Range(1, nodes).Select(i => $"127.0.0.{i}")];
        string[] everywhere = [.. hosts, BalancerHost];
        HttpPort = httpPort ?? FreePorts.One(everywhere);
        HttpsPort = FreePorts.One(everywhere);
        ClusterPort = FreePorts.One(everywhere);
        RangeBegin = FreePorts.Run(PortCount, everywhere);
        DrainSeconds = drainSeconds;
        Nodes = [.. hosts.Select((host, i) => new ClusterNode(this, $"n{i + 1}", host))];
    }

    public ProcessLog Log { get; } = new();
    public string Directory { get; }
    public string DataPath { get; }
    public string CaPath => Path.Combine(DataPath, "certs", "self-signed.crt");
    public int HttpPort { get; }
    public int HttpsPort { get; }
    public int ClusterPort { get; }
    public int RangeBegin { get; }
    public int DrainSeconds { get; }
    public string ConnectionString { get; private set; } = "";

    /// <summary>Set when started with <c>storeGate</c>: the nodes reach PostgreSQL only through it.</summary>
    public TcpGate? StoreGate { get; private set; }
    public IReadOnlyList<ClusterNode> Nodes { get; }
    public Balancer Balancer { get; private set; } = null!;

    /// <summary>Environment of every node process (e.g. a private CA for ACME).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; }

    /// <summary>Set: every node advertises this unreachable endpoint, as behind a balancer that hides the nodes.</summary>
    public bool HideNodes { get; init; }

    /// <summary>A node's <c>tls</c> section (null: none), read each time its config is written.</summary>
    public Func<ClusterNode, object?>? TlsOf { get; set; }

    /// <summary>Starts a fresh database, the nodes (the first alone, then the others together) and the balancer.</summary>
    /// <param name="httpPort">The HTTP port of every node, when the test needs it before (pebble validates on it).</param>
    public static async Task<ClusterTestbed> StartAsync(int nodes = 3, int drainSeconds = 10, Func<ClusterNode, object?>? tls = null,
        IReadOnlyDictionary<string, string?>? environment = null, int? httpPort = null, bool hideNodes = false, bool storeGate = false)
    {
        var bed = new ClusterTestbed(nodes, drainSeconds, tls, environment, httpPort) { HideNodes = hideNodes };
        try
        {
            bed.ConnectionString = await FreshDatabaseAsync();
            if (storeGate)
            {
                var direct = new NpgsqlConnectionStringBuilder(bed.ConnectionString);
                bed.StoreGate = new TcpGate(new IPEndPoint(IPAddress.Parse(direct.Host!), direct.Port));
                bed.ConnectionString = new NpgsqlConnectionStringBuilder(bed.ConnectionString)
                    { Host = "127.0.0.1", Port = bed.StoreGate.Port, Pooling = true }.ConnectionString;
            }
            foreach (var node in bed.Nodes) node.WriteConfig();
            await bed.Nodes[0].StartAsync();
            await Task.WhenAll(bed.Nodes.Skip(1).Select(n => n.StartAsync()));
            bed.Balancer = await Balancer.StartAsync(bed);
            return bed;
        }
        catch (Exception ex)
        {
            var log = bed.Log.Since(0);
            await bed.DisposeAsync();
            throw new InvalidOperationException($"the cluster did not start: {ex.Message}\n--- processes ---\n{log}", ex);
        }
    }

    /// <summary>The seed list every node gets: every node.</summary>
    public IEnumerable<string> Seeds => Nodes.Select(n => n.ClusterEndpoint);

    /// <summary>Runs <c>spokes</c> with the first node's config (its seeds name every node, so any live node answers).</summary>
    public async Task<CliResult> CliAsync(params string[] args)
    {
        await using var cli = SpokesProcess.Start("spokes " + string.Join(' ', args.Take(2)), Binaries.Spokes,
            ["--config", Nodes[0].ConfigPath, .. args], Log);
        int exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(exit, cli.StandardOutput, cli.Errors);
    }

    public async Task<CliResult> CliWithStdinAsync(string stdin, params string[] args)
    {
        await using var cli = SpokesProcess.Start("spokes " + string.Join(' ', args.Take(2)), Binaries.Spokes,
            ["--config", Nodes[0].ConfigPath, .. args], Log, stdin);
        int exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(exit, cli.StandardOutput, cli.Errors);
    }

    /// <summary>A new agent configured with the balancer's address (its first connection lands on any node).</summary>
    public async Task<TestAgent> AddAgentAsync(string name)
    {
        var registration = (await CliAsync("registration", "create")).ExpectExit(0).ExpectOutput("Registration token:");
        string token = registration.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
        var agent = new TestAgent(Directory, Log, name);
        _agents.Add(agent);
        (await agent.RunWithStdinAsync(token, "configure", "--hostname", Domain, "--port", HttpsPort.ToString(), "--address", BalancerHost,
            "--registration", "-", "--id", name, "--ca", CaPath)).ExpectExit(0);
        return agent;
    }

    /// <summary>A new agent serving <c>app.example.com</c> from a local HTTP backend on <paramref name="httpPort"/>, started.</summary>
    public async Task<TestAgent> StartAppAgentAsync(string name, int httpPort)
    {
        var agent = await AddAgentAsync(name);
        (await agent.RunAsync("http", "add", "--domain", TrafficFixture.AppDomain, "--destination", "127.0.0.1", "--http", httpPort.ToString()))
            .ExpectExit(0);
        await agent.StartAsync();
        return agent;
    }

    public async Task<IWireMessage> AdminAsync(IAdminRequest request)
    {
        try
        {
            _admin ??= await ClusterAdminClient.ConnectAsync(Nodes.Where(n => n.IsRunning).Select(n => (n.Host, ClusterPort)).ToList(),
                ClusterCertificate.Load(ClusterCertificate.PathFor(DataPath, null)));
            return await _admin.SendAsync(request, TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is ClusterUnreachableException or TimeoutException)
        {
            await DropAdminAsync();
            throw;
        }
    }

    public async Task<TunnelDto> TunnelAsync(string id)
    {
        var reply = await AdminAsync(new ListTunnelsRequest(OnlineOnly: false, All: true));
        return (reply as TunnelsReply)?.Tunnels.SingleOrDefault(t => t.Id == id) ?? throw new InvalidOperationException($"no tunnel {id}: {reply}");
    }

    public ClusterNode NodeNamed(string node) => Nodes.Single(n => n.NodeName == node);

    /// <summary>Runs a test body; when it fails, every process line written since it began goes to the output.</summary>
    public async Task ScenarioAsync(ITestOutputHelper output, Func<Task> body)
    {
        int mark = Log.Count;
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine($"--- cluster {Directory}: http {HttpPort}, https {HttpsPort}, cluster {ClusterPort}, ports {RangeBegin}+{PortCount} ---");
            output.WriteLine(Log.Since(mark, max: 1500));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        await DropAdminAsync();
        if (Balancer is not null) await Balancer.DisposeAsync();
        foreach (var node in Nodes) await node.DisposeAsync();
        if (StoreGate is not null) await StoreGate.DisposeAsync();
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

    /// <summary>A new, empty database on the test server (test.sh starts one), so runs never see each other's journal.</summary>
    public static async Task<string> FreshDatabaseAsync()
    {
        var server = System.Environment.GetEnvironmentVariable("SPOKES_TEST_POSTGRES");
        Assert.False(string.IsNullOrWhiteSpace(server), "SPOKES_TEST_POSTGRES is not set: run ./test.sh, which starts a throwaway PostgreSQL");
        var name = "spokes_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    internal string ConfigJson(ClusterNode node) => JsonSerializer.Serialize(new
    {
        tls = (TlsOf ?? _tls)?.Invoke(node) ?? new { },
        domain = Domain,
        dataPath = DataPath,
        database = new { provider = "postgres", connectionString = ConnectionString },
        listen = new { http = $"{node.Host}:{HttpPort}", https = $"{node.Host}:{HttpsPort}" },
        portRange = new { begin = RangeBegin, end = RangeBegin + PortCount - 1 },
        tunOptions = new { maxPorts = 3 },
        cluster = new
        {
            host = node.Host, port = ClusterPort, seeds = Seeds.ToArray(), drainSeconds = DrainSeconds,
            advertise = HideNodes ? $"127.0.0.250:{HttpsPort}" : "",
        },
    });
}
