using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Spokes.Tests.Cli.Testbed;

/// <summary>A fresh folder under the system temp folder, removed at the end.</summary>
public sealed class TestFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("spokes-tests-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a process we killed may still be closing a file; the OS cleans temp folders
        }
    }

    /// <summary>A port free right now (<see cref="DataPlane.Testbed.FreePorts"/>).</summary>
    public static int FreePort() => DataPlane.Testbed.FreePorts.One();
}

/// <summary>A node's config.json (SPEC §3) with loopback addresses and free ports.</summary>
public sealed record NodeConfig(string DataPath, int ClusterPort)
{
    public string[] Seeds { get; init; } = [];
    public string Certificate { get; init; } = "";
    public string DatabasePath { get; init; } = "";
    /// <summary>When set, the node uses PostgreSQL instead of the SQLite file.</summary>
    public string PostgresConnectionString { get; init; } = "";
    public int PortRangeBegin { get; init; } = 26000;
    public int PortRangeEnd { get; init; } = 26009;

    public static NodeConfig Fresh(string dataPath) => new(dataPath, TestFolder.FreePort());

    public JsonObject ToJson() => new()
    {
        ["domain"] = "localhost",
        ["dataPath"] = DataPath,
        ["database"] = PostgresConnectionString.Length > 0
            ? new JsonObject { ["provider"] = "postgres", ["connectionString"] = PostgresConnectionString }
            : new JsonObject { ["path"] = DatabasePath },
        ["portRange"] = new JsonObject { ["begin"] = PortRangeBegin, ["end"] = PortRangeEnd },
        ["tunOptions"] = new JsonObject { ["maxPoolSize"] = 5, ["maxPorts"] = 5 },
        ["listen"] = new JsonObject
        {
            ["http"] = $"127.0.0.1:{TestFolder.FreePort()}",
            ["https"] = $"127.0.0.1:{TestFolder.FreePort()}",
        },
        ["cluster"] = new JsonObject
        {
            ["host"] = "127.0.0.1",
            ["port"] = ClusterPort,
            ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["certificate"] = Certificate,
        },
    };

    public string WriteTo(string path)
    {
        File.WriteAllText(path, ToJson().ToJsonString());
        return path;
    }
}
