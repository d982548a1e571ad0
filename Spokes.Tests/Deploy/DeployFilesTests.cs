using System.Diagnostics;
using Spokes.Actors.Configuration;
using YamlDotNet.RepresentationModel;

namespace Spokes.Tests.Deploy;

/// <summary>What can be checked of deploy/ without a container engine: the YAML parses and names what an operator
/// relies on, every config expands and passes the node's own validation, HAProxy and systemd accept their files.</summary>
public sealed class DeployFilesTests
{
    private static readonly string Root = FindRoot();
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DOMAIN"] = "spokes.example.com", ["SPOKES_NODE"] = "spokes1", ["SPOKES_DB"] = "Host=db;Username=u;Password=p;Database=spokes",
        ["POD_NAME"] = "spokes-0",
    };

    [Theory]
    [InlineData("deploy/docker/config.json")]
    [InlineData("deploy/systemd/config.json")]
    public void ConfigFile_ExpandsAndPassesValidation(string path) =>
        Validate(File.ReadAllText(Path.Combine(Root, path)), path);

    [Fact]
    public void ConfigFile_APlaceholderNotSet_StopsWithOneLineNamingIt()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Expand("""{"domain": "${NOPE}"}""", "c.json", _ => null));
        Assert.Equal("config: c.json uses ${NOPE}, which is not set in the environment", error.Message);
        Assert.Equal("""{"domain": "fallback"}""", ConfigLoader.Expand("""{"domain": "${NOPE:-fallback}"}""", "c.json", _ => null));
        // A value is JSON-escaped: a quote in a password cannot end the string.
        Assert.Equal("x\"y", System.Text.Json.JsonDocument.Parse(ConfigLoader.Expand("""{"a": "${Q}"}""", "c.json", _ => "x\"y"))
            .RootElement.GetProperty("a").GetString());
    }

    [Fact]
    public void Compose_ThreeNodesPostgresAndHaproxy_DomainAndConfigMountOnEveryNode()
    {
        var services = (YamlMappingNode)Load("deploy/docker/compose.yaml").Single().RootNode["services"];
        foreach (var name in new[] { "spokes1", "spokes2", "spokes3" })
        {
            var node = (YamlMappingNode)services[name];
            var env = (YamlMappingNode)node["environment"];
            Assert.Equal(name, env["SPOKES_NODE"].ToString());
            Assert.Contains(((YamlSequenceNode)node["volumes"]).Children, v => v.ToString() == "./config.json:/etc/spokes/config.json:ro");
        }
        var anchored = (YamlMappingNode)((YamlMappingNode)services["spokes1"])["environment"];
        Assert.True(anchored.Children.ContainsKey("DOMAIN") || Text("deploy/docker/compose.yaml").Contains("DOMAIN: ${DOMAIN", StringComparison.Ordinal));
        Assert.True(services.Children.ContainsKey("postgres"));
        var haproxy = (YamlMappingNode)services["haproxy"];
        Assert.Contains(((YamlSequenceNode)haproxy["volumes"]).Children, v => v.ToString().StartsWith("../haproxy/haproxy.cfg:", StringComparison.Ordinal));
        Assert.Contains("stop_grace_period: 45s", Text("deploy/docker/compose.yaml"));
    }

    [Fact]
    public void Kubernetes_ProbesDrainBudgetAndLeasedPorts()
    {
        var documents = Load("deploy/kubernetes/spokes.yaml").Select(d => (YamlMappingNode)d.RootNode).ToList();
        YamlMappingNode Kind(string kind) => documents.Single(d => d["kind"].ToString() == kind && d["kind"] is not null);

        var configMap = Kind("ConfigMap");
        var json = ((YamlMappingNode)configMap["data"])["config.json"].ToString();
        var config = Validate(json, "the ConfigMap's config.json");
        var statefulSet = Kind("StatefulSet");
        var pod = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)statefulSet["spec"])["template"])["spec"];
        var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"]).Children[0];
        Assert.Equal("/readyz", ((YamlMappingNode)((YamlMappingNode)container["readinessProbe"])["httpGet"])["path"].ToString());
        Assert.Equal("/healthz", ((YamlMappingNode)((YamlMappingNode)container["livenessProbe"])["httpGet"])["path"].ToString());
        var preStop = ((YamlMappingNode)((YamlMappingNode)container["lifecycle"])["preStop"]).ToString();
        Assert.Contains("cluster drain --node", preStop);
        Assert.True(int.Parse(pod["terminationGracePeriodSeconds"].ToString(), System.Globalization.CultureInfo.InvariantCulture) >= config.Cluster.DrainSeconds + 15);
        var budget = Kind("PodDisruptionBudget");
        Assert.Equal("1", ((YamlMappingNode)budget["spec"])["maxUnavailable"].ToString());
        var publicService = documents.Single(d => d["kind"].ToString() == "Service" && ((YamlMappingNode)d["metadata"])["name"].ToString() == "spokes-public");
        var ports = ((YamlSequenceNode)((YamlMappingNode)publicService["spec"])["ports"]).Children
            .Select(p => int.Parse(((YamlMappingNode)p)["port"].ToString(), System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        Assert.All(Enumerable.Range(config.PortRange.Begin, config.PortRange.End - config.PortRange.Begin + 1), p => Assert.Contains(p, ports));
    }

    [Fact]
    public void Haproxy_AcceptsItsConfig_WithHealthChecksOnReadyz()
    {
        var path = Path.Combine(Root, "deploy/haproxy/haproxy.cfg");
        Assert.Contains("uri /readyz", File.ReadAllText(path));
        var (exit, output) = Run("/usr/sbin/haproxy", ["-c", "-f", path]);
        Assert.True(exit == 0, output);
        Assert.Contains("Configuration file is valid", output);
    }

    [Fact]
    public void Systemd_UnitVerifies_NotifyAndDrainTimeout()
    {
        var path = Path.Combine(Root, "deploy/systemd/spokes.service");
        var unit = File.ReadAllText(path);
        Assert.Contains("Type=notify", unit);
        Assert.Contains("Restart=always", unit);
        Assert.Contains("TimeoutStopSec=45", unit);
        if (!File.Exists("/usr/bin/systemd-analyze")) return; // not on this machine: the text checks above stand
        var (exit, output) = Run("/usr/bin/systemd-analyze", ["verify", path]);
        Assert.True(exit == 0 && !output.Contains(path, StringComparison.Ordinal), output);
    }

    private static SpokesConfig Validate(string json, string source)
    {
        var config = ConfigLoader.Parse(ConfigLoader.Expand(json, source, Environment.GetValueOrDefault), source);
        // The certificate file is the operator's to provide; everything else must pass as is.
        ConfigLoader.Validate(config with { Cluster = config.Cluster with { Certificate = "" } });
        return config;
    }

    private static List<YamlDocument> Load(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(Text(path)));
        return [.. stream.Documents];
    }

    private static string Text(string path) => File.ReadAllText(Path.Combine(Root, path));

    private static (int Exit, string Output) Run(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOMAIN"] = "spokes.example.com";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Spokes.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("no Spokes.sln above the tests");
    }
}
