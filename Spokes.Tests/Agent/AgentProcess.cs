using System.Diagnostics;
using System.Text;

namespace Spokes.Tests.Agent;

/// <summary>
/// The real <c>spokes-agent</c> binary (the build output copied next to the tests), run with
/// <c>dotnet spokes-agent.dll --config PATH ...</c>. Output lines are kept so tests can await them.
/// </summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private static readonly string DllPath = FindAgent();
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(string configPath, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("SPOKES_AGENT_CONFIG");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _stderr.AppendLine(e.Data);
                }

                Append(e.Data);
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the process wrote (stdout and stderr interleaved), for assertions and failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_lines)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static AgentProcess Start(string configPath, params string[] args) => new(configPath, args);

    /// <summary>Runs a one-shot command to completion.</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(string configPath, string? stdin, params string[] args)
    {
        await using var agent = new AgentProcess(configPath, args);
        if (stdin is not null)
        {
            await agent._process.StandardInput.WriteLineAsync(stdin);
        }

        agent._process.StandardInput.Close();
        int exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exit, agent.Output, agent.Errors);
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null, int skip = 0)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                if (_lines.Where(match).Skip(skip).FirstOrDefault() is { } line)
                {
                    return line;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching agent line; output so far:\n{Output}");
            }
        }
    }

    public Task<string> WaitForLineAsync(string contains, TimeSpan? timeout = null, int skip = 0) =>
        WaitForLineAsync(line => line.Contains(contains, StringComparison.Ordinal), timeout, skip);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the agent did not exit within {timeout}; output:\n{Output}");
        }

        return _process.ExitCode;
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
            // Already gone.
        }

        _process.Dispose();
    }

    /// <summary>
    /// The agent's own build output: the copy next to the tests resolves Microsoft.Extensions.* from
    /// the test folder's deps (ASP.NET shared framework), which the agent's runtimeconfig does not load.
    /// </summary>
    private static string FindAgent()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testDir.Parent?.Name ?? "Debug";
        string own = Path.GetFullPath(Path.Combine(testDir.FullName, "..", "..", "..", "..", "Spokes.Agent", "bin", configuration, testDir.Name, "spokes-agent.dll"));
        return File.Exists(own) ? own : Path.Combine(testDir.FullName, "spokes-agent.dll");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            var previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }
    }
}
