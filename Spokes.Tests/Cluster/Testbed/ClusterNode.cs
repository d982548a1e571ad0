using Spokes.Tests.Support;

namespace Spokes.Tests.Cluster.Testbed;

/// <summary>One node of a <see cref="ClusterTestbed"/>: a real <c>spokes start</c> on its own loopback address,
/// which the test can start again, kill (SIGKILL), freeze (SIGSTOP), thaw and ask to stop (SIGTERM).</summary>
internal sealed class ClusterNode(ClusterTestbed bed, string name, string host) : IAsyncDisposable
{
    private int _starts;

    public string Name { get; } = name;
    public string Host { get; } = host;
    public string ConfigPath { get; } = Path.Combine(bed.Directory, name + ".json");
    public SpokesProcess? Process { get; private set; }
    public bool IsRunning => Process is { HasExited: false };

    /// <summary>The node's name as the cluster prints it (host:port of its cluster address).</summary>
    public string NodeName => $"{Host}:{bed.ClusterPort}";

    public string ClusterEndpoint => NodeName;

    public void WriteConfig() => File.WriteAllText(ConfigPath, bed.ConfigJson(this));

    /// <summary>Starts the node (again) and waits for "node up".</summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running");
        if (Process is not null) await Process.DisposeAsync();
        _starts++;
        Process = SpokesProcess.Start(_starts == 1 ? Name : $"{Name}#{_starts}", Binaries.Spokes, ["start", "--config", ConfigPath], bed.Log,
            environment: bed.Environment);
        await Process.WaitForLineAsync(line => line.StartsWith("spokes: node up", StringComparison.Ordinal), ClusterTestbed.NodeStartTimeout);
    }

    public async Task KillAsync()
    {
        if (Process is not null) await Process.KillAsync();
    }

    public void Freeze() => Process!.Signal(SpokesProcess.SigStop);

    public void Thaw() => Process!.Signal(SpokesProcess.SigCont);

    /// <summary>SIGTERM: the node drains, then stops; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Process!.Signal(SpokesProcess.SigTerm);
        return await Process.WaitForExitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            if (IsRunning)
            {
                try
                {
                    Thaw();
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
            }
            await Process.DisposeAsync();
        }
    }
}
