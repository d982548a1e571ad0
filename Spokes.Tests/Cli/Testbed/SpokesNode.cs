using System.Diagnostics;
using System.Text;
using Spokes.Tests.Support;

namespace Spokes.Tests.Cli.Testbed;

/// <summary>A real node: <c>spokes start --config FILE</c> in its own process. Ready when it prints the
/// "node up" line; its stdout and stderr are kept for assertions and for failure reports.</summary>
public sealed class SpokesNode : IAsyncDisposable
{
    public const string ReadyLine = "spokes: node up at ";
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _log = new();
    private Process? _process;

    public SpokesNode(string configPath, NodeConfig config)
    {
        ConfigPath = configPath;
        Config = config;
    }

    public string ConfigPath { get; }
    public NodeConfig Config { get; }
    public int ClusterPort => Config.ClusterPort;
    public bool IsRunning => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>Writes the config and starts the node; returns once it is up.</summary>
    public static async Task<SpokesNode> StartAsync(string configPath, NodeConfig config)
    {
        var node = new SpokesNode(config.WriteTo(configPath), config);
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts (or restarts, on the same config and data) and waits for the ready line.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException("node already running");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = CliRunner.StartInfo(["--config", ConfigPath, "start"]), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the node exited before it was up"));
        Append($"=== spokes --config {ConfigPath} start ({DateTime.UtcNow:HH:mm:ss.fff})");
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex)
        {
            Kill();
            throw new InvalidOperationException($"node did not come up ({ex.Message}); its log:\n{Log}", ex);
        }
    }

    /// <summary>Starts a node that is expected to refuse: returns its exit code once it stopped (or throws when it
    /// is still running after <paramref name="timeout"/>, or came up).</summary>
    public async Task<int> StartExpectingExitAsync(TimeSpan timeout)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = CliRunner.StartInfo(["--config", ConfigPath, "start"]), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
        Append($"=== spokes --config {ConfigPath} start, expected to stop ({DateTime.UtcNow:HH:mm:ss.fff})");
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        using var deadline = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(deadline.Token);
        if (ready.Task.IsCompletedSuccessfully) throw new InvalidOperationException($"the node came up; its log:\n{Log}");
        return process.ExitCode;
    }

    private void OnLine(string? line, TaskCompletionSource ready)
    {
        if (line is null) return;
        Append(line);
        if (line.StartsWith(ReadyLine, StringComparison.Ordinal)) ready.TrySetResult();
    }

    private void Append(string line)
    {
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Sends a POSIX signal to the running node (<see cref="SpokesProcess.SigStop"/> freezes it as a hang would).</summary>
    public void Signal(int signal)
    {
        var process = _process ?? throw new InvalidOperationException("node not running");
        SpokesProcess.Signal(process.Id, signal);
        Append($"=== signal {signal} ({DateTime.UtcNow:HH:mm:ss.fff})");
    }

    /// <summary>SIGKILL, no goodbye: what a crash or <c>kill -9</c> does.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        Append($"=== killed ({DateTime.UtcNow:HH:mm:ss.fff})");
        process.Dispose();
        _process = null;
    }

    /// <summary>Runs the CLI against this node (its own config: contact point and certificate).</summary>
    public Task<CliResult> CliAsync(params string[] args) => CliRunner.RunAsync(ConfigPath, null, args);

    public Task<CliResult> CliWithStdinAsync(string stdin, params string[] args) => CliRunner.RunAsync(ConfigPath, stdin, args);

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}
