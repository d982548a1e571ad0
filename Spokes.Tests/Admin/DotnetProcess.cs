using System.Diagnostics;

namespace Spokes.Tests.Admin;

/// <summary>A <c>dotnet some.dll ...</c> child process whose output lines can be awaited (no sleeps) and
/// dumped when a test fails. Killed with its children on dispose.</summary>
internal sealed class DotnetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DotnetProcess(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        Name = name;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // The node serves the console's assets from the build output (UseStaticWebAssets) in any environment.
        foreach (var variable in new[] { "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "ADMIN_SECRET", "SPOKES_AGENT_CONFIG" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in env ?? new Dictionary<string, string?>()) start.Environment[key] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_lines) return string.Join('\n', _lines); }
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        _process.StandardInput.Close();
    }

    public async Task<string> WaitForLineAsync(string contains, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                if (_lines.FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal)) is { } line) return line;
                changed = _changed.Task;
            }
            if (_process.HasExited && changed.IsCompleted is false && await Exited(changed))
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{contains}'");
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name} did not print '{contains}' within {timeout}");
            }
        }
    }

    // The last lines may still be on their way when the process has just exited.
    private async Task<bool> Exited(Task changed)
    {
        await _process.WaitForExitAsync();
        return !changed.IsCompleted;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}");
        }
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Add(line);
            var previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
