using System.Diagnostics;

namespace Spokes.Tests.Support;

/// <summary>
/// A real <c>spokes</c> or <c>spokes-agent</c> process (or any dotnet tool of the tests) (<c>dotnet X.dll args</c>). Output lines are kept so
/// tests await readiness on what the process says; every line also goes to the bed's <see cref="ProcessLog"/>.
/// </summary>
internal sealed class SpokesProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _name;
    private readonly ProcessLog _log;
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private readonly List<string> _stdout = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SpokesProcess(string name, string dll, IEnumerable<string> args, ProcessLog log, string? stdin,
        IReadOnlyDictionary<string, string?>? environment = null, string program = "dotnet")
    {
        _name = name;
        _log = log;
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program == "dotnet") start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The products run as an operator would start them: no inherited configuration or first-run secret,
        // Production environment (the node serves the console's assets from the build output anyway).
        foreach (var variable in new[] { "SPOKES_AGENT_CONFIG", "SPOKES_CONFIG", "ADMIN_SECRET", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT" })
        {
            start.Environment.Remove(variable);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data, error: false);
        _process.ErrorDataReceived += (_, e) => Append(e.Data, error: true);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (stdin is not null)
        {
            _process.StandardInput.WriteLine(stdin);
        }

        _process.StandardInput.Close();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Both streams, interleaved.</summary>
    public string Output => string.Join('\n', Lines);

    public string StandardOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    public static SpokesProcess Start(string name, string dll, IEnumerable<string> args, ProcessLog log, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        new(name, dll, args, log, stdin, environment);

    /// <summary>A program that is not a dotnet tool (HAProxy, say), started the same way.</summary>
    public static SpokesProcess StartProgram(string name, string program, IEnumerable<string> args, ProcessLog log) =>
        new(name, "", args, log, null, null, program);

    /// <summary>Sends a POSIX signal (SIGSTOP freezes a node as a hang would, SIGCONT thaws it, SIGTERM asks it to stop).</summary>
    public void Signal(int signal)
    {
        Signal(_process.Id, signal);
        _log.Add(_name, $"<signal {signal} from the test>");
    }

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed");
    }

    public const int SigTerm = 15;
    public const int SigStop = 19;
    public const int SigCont = 18;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Waits for the first line (after <paramref name="skip"/> matches) that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, int skip = 0)
    {
        using var cts = new CancellationTokenSource(timeout);
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

            if (_process.HasExited)
            {
                // Output may still be draining: one last look after the streams close.
                await _process.WaitForExitAsync(CancellationToken.None);
                lock (_lines)
                {
                    if (_lines.Where(match).Skip(skip).FirstOrDefault() is { } line)
                    {
                        return line;
                    }
                }

                throw new InvalidOperationException($"{_name} exited ({_process.ExitCode}) before the expected line; output:\n{Output}");
            }

            try
            {
                await Task.WhenAny(changed, _process.WaitForExitAsync(cts.Token)).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{_name}: no expected line within {timeout.TotalSeconds:0.#} s; output:\n{Output}");
            }
        }
    }

    public Task<string> WaitForLineAsync(string contains, TimeSpan timeout, int skip = 0) =>
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
            throw new TimeoutException($"{_name} did not exit within {timeout.TotalSeconds:0.#} s; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the whole tree, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _log.Add(_name, "<killed by the test>");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        _log.Add(_name, error ? "stderr: " + line : line);
        lock (_lines)
        {
            _lines.Add(line);
            (error ? _errors : _stdout).Add(line);

            var previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }
    }
}
