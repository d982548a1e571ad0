using System.Diagnostics;
using Spokes.Actors.Client;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Tests.Cli.Testbed;
using Spokes.Tests.Support;
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

    [Fact]
    public async Task Request_NodeFreezesUnderIt_FailsWithinSeconds_NamingTheNode_NotAfterItsTimeout()
    {
        await using var node = await SpokesNode.StartAsync(_folder["config.json"], NodeConfig.Fresh(_folder["data"]));
        try
        {
            var certificate = ClusterCertificate.Load(ClusterCertificate.PathFor(node.Config.DataPath, null));
            await using var client = await ClusterAdminClient.ConnectAsync([("127.0.0.1", node.ClusterPort)], certificate);
            Assert.IsNotType<Refusal>(await client.SendAsync(new ListTokensRequest(), TimeSpan.FromSeconds(30)));

            node.Signal(SpokesProcess.SigStop); // a hang (or a death the kernel does not report) under the next request
            var clock = Stopwatch.StartNew();
            try
            {
                var failure = await Assert.ThrowsAsync<ClusterUnreachableException>(
                    () => client.SendAsync(new ListTokensRequest(), TimeSpan.FromSeconds(90)));
                Assert.Contains($"the node at 127.0.0.1:{node.ClusterPort} stopped answering", failure.Message);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"noticed after {clock.Elapsed.TotalSeconds:0.0} s");
                output.WriteLine($"noticed after {clock.Elapsed.TotalSeconds:0.0} s");
            }
            finally
            {
                node.Signal(SpokesProcess.SigCont);
            }
            (await node.CliAsync("token", "ls")).Expect(0); // the thawed node serves the next command
        }
        finally
        {
            output.WriteLine(node.Log);
        }
    }
}
