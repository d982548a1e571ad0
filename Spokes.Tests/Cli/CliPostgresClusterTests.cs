using Npgsql;
using Spokes.Actors.Security;
using Spokes.Tests.Cli.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cli;

/// <summary>Two nodes sharing a real PostgreSQL store (test.sh starts one and sets SPOKES_TEST_POSTGRES).</summary>
[Collection(CliCollection.Name)]
public sealed class CliPostgresClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TwoNodesOnPostgres_TokenThroughA_ListedThroughB_AndSurvivesKillOfBoth()
    {
        var connectionString = await FreshDatabaseAsync();
        ClusterCertificate.LoadOrCreate(_folder["shared"], null);
        var certificate = Path.Combine(_folder["shared"], ClusterCertificate.FileName);
        var configA = NodeConfig.Fresh(_folder["a"]) with { Certificate = certificate, PostgresConnectionString = connectionString };
        var configB = NodeConfig.Fresh(_folder["b"]) with
        {
            Certificate = certificate, PostgresConnectionString = connectionString, Seeds = [$"127.0.0.1:{configA.ClusterPort}"],
        };
        await using var a = await SpokesNode.StartAsync(_folder["a.json"], configA);
        await using var b = new SpokesNode(configB.WriteTo(_folder["b.json"]), configB);
        try
        {
            await b.StartAsync();
            var onlyB = (configB with { Seeds = [] }).WriteTo(_folder["b-cli.json"]);
            var value = (await a.CliAsync("token", "create", "--hostname", "pg.example.com")).SecretAfter("Client auth-token:");
            Assert.Contains((await CliRunner.RunAsync(onlyB, null, "token", "ls", "--json", "--expand")).JsonArray(),
                t => t.GetProperty("value").GetString() == value);

            // Acknowledged means stored: kill both nodes at once, start one, the token is there.
            a.Kill();
            b.Kill();
            await a.StartAsync();
            Assert.Contains((await a.CliAsync("token", "ls", "--json", "--expand")).JsonArray(),
                t => t.GetProperty("value").GetString() == value && t.GetProperty("hostname").GetString() == "pg.example.com");
        }
        finally
        {
            output.WriteLine("--- node A\n" + a.Log);
            output.WriteLine("--- node B\n" + b.Log);
        }
    }

    [Fact]
    public async Task SecondClusterOnTheSameStore_RefusesToStartWithOneLine_TheFirstKeepsServing()
    {
        var connectionString = await FreshDatabaseAsync();
        ClusterCertificate.LoadOrCreate(_folder["shared"], null);
        var certificate = Path.Combine(_folder["shared"], ClusterCertificate.FileName);
        var configA = NodeConfig.Fresh(_folder["a"]) with { Certificate = certificate, PostgresConnectionString = connectionString };
        // B names no seeds: it would form a cluster of its own on A's store.
        var configB = NodeConfig.Fresh(_folder["b"]) with { Certificate = certificate, PostgresConnectionString = connectionString };
        await using var a = await SpokesNode.StartAsync(_folder["a.json"], configA);
        await using var b = new SpokesNode(configB.WriteTo(_folder["b.json"]), configB);
        try
        {
            var exit = await b.StartExpectingExitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(1, exit);
            var refusal = b.Log.Split('\n').Where(l => l.StartsWith("spokes: cannot start:", StringComparison.Ordinal)).ToList();
            Assert.Single(refusal);
            Assert.Contains("another running cluster", refusal[0]);
            Assert.Contains($"127.0.0.1:{configA.ClusterPort}", refusal[0]);
            Assert.DoesNotContain("spokes: node up", b.Log);
            (await a.CliAsync("token", "create", "--hostname", "still.example.com")).Expect(0);
        }
        finally
        {
            output.WriteLine("--- node A\n" + a.Log);
            output.WriteLine("--- node B\n" + b.Log);
        }
    }

    /// <summary>A new, empty database on the test server, so runs never see each other's journal.</summary>
    private static async Task<string> FreshDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable("SPOKES_TEST_POSTGRES");
        Assert.False(string.IsNullOrWhiteSpace(server),
            "SPOKES_TEST_POSTGRES is not set: run ./test.sh, which starts a throwaway PostgreSQL for this test");
        var name = "spokes_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }
}
