using Spokes.Tests.Cli.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cli;

/// <summary>SPEC §2: nothing acknowledged to an operator is lost when the node is killed right after.</summary>
[Collection(CliCollection.Name)]
public sealed class CliDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TokenCreate_NodeKilledRightAfter_TokenListedAfterRestart()
    {
        await using var node = await SpokesNode.StartAsync(_folder["config.json"], NodeConfig.Fresh(_folder["data"]));
        try
        {
            var value = (await node.CliAsync("token", "create", "--hostname", "durable.example.com")).SecretAfter("Client auth-token:");
            node.Kill(); // SIGKILL as soon as the CLI returned
            var registration = value; // (kept for the failure message)

            await node.StartAsync();
            var tokens = (await node.CliAsync("token", "ls", "--json", "--expand")).JsonArray();
            Assert.Contains(tokens, t => t.GetProperty("value").GetString() == registration &&
                                         t.GetProperty("hostname").GetString() == "durable.example.com");
            var tunnels = (await node.CliAsync("tunnel", "ls", "--json")).JsonArray();
            Assert.Contains(tunnels, t => t.GetProperty("hostname").GetString() == "durable.example.com");
        }
        finally
        {
            output.WriteLine(node.Log);
        }
    }
}
