using Spokes.Tests.Support;

namespace Spokes.Tests.Agent;

/// <summary>
/// The real <c>spokes-agent</c> binary (its own build output), run with <c>dotnet spokes-agent.dll --config
/// PATH ...</c> through the shared <see cref="SpokesProcess"/>; output lines can be awaited.
/// </summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(15);
    private readonly SpokesProcess _process;

    private AgentProcess(string configPath, IReadOnlyList<string> args, string? stdin) =>
        _process = SpokesProcess.Start("agent", Binaries.Agent, ["--config", configPath, .. args], new ProcessLog(), stdin);

    /// <summary>Everything the process wrote (stdout and stderr interleaved), for assertions and failure messages.</summary>
    public string Output => _process.Output;

    public string Errors => _process.Errors;

    public bool HasExited => _process.HasExited;

    public static AgentProcess Start(string configPath, params string[] args) => new(configPath, args, null);

    /// <summary>Runs a one-shot command to completion.</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(string configPath, string? stdin, params string[] args)
    {
        await using var agent = new AgentProcess(configPath, args, stdin);
        int exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exit, agent.Output, agent.Errors);
    }

    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null, int skip = 0) =>
        _process.WaitForLineAsync(match, timeout ?? LineTimeout, skip);

    public Task<string> WaitForLineAsync(string contains, TimeSpan? timeout = null, int skip = 0) =>
        _process.WaitForLineAsync(contains, timeout ?? LineTimeout, skip);

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
