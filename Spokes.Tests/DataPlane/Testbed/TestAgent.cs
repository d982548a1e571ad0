using System.Text.Json;

using Spokes.Tests.Support;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>A real <c>spokes-agent</c> with its own config folder under the bed: one-shot commands and the long-running <c>start</c>.</summary>
internal sealed class TestAgent(string directory, ProcessLog log, string name) : IAsyncDisposable
{
    private int _starts;

    public TestAgent(SpokesTestbed bed, string name) : this(bed.Directory, bed.Log, name)
    {
    }

    public string Name { get; } = name;

    public string ConfigPath { get; } = Path.Combine(directory, name, "config.json");

    /// <summary>The running (or last) <c>start</c> process.</summary>
    public SpokesProcess? Process { get; private set; }

    /// <summary>The tunnel the node named in its welcome.</summary>
    public string TunnelId { get; private set; } = "";

    /// <summary>The auth token, as <c>configure</c> saved it.</summary>
    public string Key
    {
        get
        {
            using var config = JsonDocument.Parse(File.ReadAllText(ConfigPath));
            return config.RootElement.GetProperty("key").GetString()!;
        }
    }

    public Task<CliResult> RunAsync(params string[] args) => RunCoreAsync(null, args);

    public Task<CliResult> RunWithStdinAsync(string stdin, params string[] args) => RunCoreAsync(stdin, args);

    /// <summary>Starts <c>spokes-agent start</c> without waiting for anything.</summary>
    public async Task<SpokesProcess> LaunchAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        _starts++;
        Process = SpokesProcess.Start(_starts == 1 ? Name : $"{Name}#{_starts}", Binaries.Agent, ["--config", ConfigPath, "start"], log);
        return Process;
    }

    /// <summary>Starts the agent and waits until it is connected and its saved rules are synced.</summary>
    public async Task StartAsync()
    {
        var process = await LaunchAsync();
        await WaitConnectedAsync(process, skip: 0, TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits for the (<paramref name="skip"/>+1)-th "connected" and the "synced" after it.</summary>
    public async Task WaitConnectedAsync(SpokesProcess process, int skip, TimeSpan timeout)
    {
        string connected = await process.WaitForLineAsync(line => line.StartsWith("connected to ", StringComparison.Ordinal), timeout, skip);
        int open = connected.IndexOf("(tunnel ", StringComparison.Ordinal);
        TunnelId = connected[(open + "(tunnel ".Length)..].TrimEnd(')');
        await process.WaitForLineAsync(line => line.StartsWith("synced ", StringComparison.Ordinal), timeout, skip);
    }

    public async Task KillAsync()
    {
        if (Process is not null)
        {
            await Process.KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }

    private async Task<CliResult> RunCoreAsync(string? stdin, string[] args)
    {
        await using var run = SpokesProcess.Start($"{Name} {string.Join(' ', args.Take(2))}", Binaries.Agent, ["--config", ConfigPath, .. args], log, stdin);
        int exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(exit, run.StandardOutput, run.Errors);
    }
}
