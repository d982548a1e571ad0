using Xunit.Abstractions;

namespace Spokes.Tests.Cli.Testbed;

/// <summary>One node for the whole "cli" collection: each CLI call costs about a second, a node start
/// three, so the tests share it and never assume they are alone on it.</summary>
public sealed class SharedNode : IAsyncLifetime
{
    public TestFolder Folder { get; } = new();
    public SpokesNode Node { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Node = await SpokesNode.StartAsync(Folder["config.json"], NodeConfig.Fresh(Folder["data"]));

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>The end-to-end classes run one at a time (they start processes on 2 shared cores) and
/// share <see cref="SharedNode"/>.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<SharedNode>
{
    public const string Name = "cli";
}

/// <summary>Writes the log lines a node printed during one test to the test output, which the runner
/// shows when the test fails.</summary>
public sealed class NodeLogTail(ITestOutputHelper output, params SpokesNode[] nodes) : IDisposable
{
    private readonly int[] _marks = nodes.Select(n => n.Log.Length).ToArray();

    public void Dispose()
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            var log = nodes[i].Log;
            var all = !nodes[i].IsRunning; // a node that died: its whole log
            output.WriteLine($"--- node {nodes[i].ClusterPort} log {(all ? "(NOT RUNNING)" : "during this test")}:");
            output.WriteLine(all ? log : log.Length > _marks[i] ? log[_marks[i]..] : "(nothing)");
        }
    }
}
