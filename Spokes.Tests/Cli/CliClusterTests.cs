using Spokes.Actors.Security;
using Spokes.Tests.Cli.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cli;

/// <summary>Two nodes in one cluster, one certificate, one SQLite store.</summary>
[Collection(CliCollection.Name)]
public sealed class CliClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TwoNodes_TokenCreatedThroughA_ListedThroughBAndBothUp()
    {
        ClusterCertificate.LoadOrCreate(_folder["shared"], null);
        var certificate = Path.Combine(_folder["shared"], ClusterCertificate.FileName);
        var database = Path.Combine(_folder["shared"], "spokes.db");
        var configA = NodeConfig.Fresh(_folder["a"]) with { Certificate = certificate, DatabasePath = database };
        var configB = NodeConfig.Fresh(_folder["b"]) with
        {
            Certificate = certificate, DatabasePath = database, Seeds = [$"127.0.0.1:{configA.ClusterPort}"],
        };
        await using var a = await SpokesNode.StartAsync(_folder["a.json"], configA);
        await using var b = new SpokesNode(configB.WriteTo(_folder["b.json"]), configB);
        try
        {
            await b.StartAsync();
            // The CLI contacts the config's own host:port plus its seeds: for "through B", B alone.
            var onlyB = (configB with { Seeds = [] }).WriteTo(_folder["b-cli.json"]);
            var value = (await a.CliAsync("token", "create", "--hostname", "clustered.example.com")).SecretAfter("Client auth-token:");
            Assert.Contains((await CliRunner.RunAsync(onlyB, null, "token", "ls", "--json", "--expand")).JsonArray(),
                t => t.GetProperty("value").GetString() == value);

            var nodes = (await CliRunner.RunAsync(onlyB, null, "cluster", "status", "--json")).JsonArray();
            Assert.Equal(2, nodes.Count);
            Assert.All(nodes, n => Assert.Equal("up", n.GetProperty("status").GetString()));
            Assert.Equal($"127.0.0.1:{configB.ClusterPort}", Assert.Single(nodes, n => n.GetProperty("self").GetBoolean())
                .GetProperty("address").GetString());
            Assert.Single(nodes, n => n.GetProperty("leader").GetBoolean());
            Assert.Contains($"2 nodes", (await a.CliAsync("cluster", "status")).Expect(0).Stdout);
        }
        finally
        {
            output.WriteLine("--- node A\n" + a.Log);
            output.WriteLine("--- node B\n" + b.Log);
        }
    }
}
