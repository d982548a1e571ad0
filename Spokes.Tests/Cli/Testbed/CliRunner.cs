using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Spokes.Tests.Cli.Testbed;

/// <summary>What one run of the spokes binary did.</summary>
public sealed record CliResult(string[] Args, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"spokes {string.Join(' ', Args)} → exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>Asserts the exit code, showing the whole run when it differs.</summary>
    public CliResult Expect(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit {exitCode}\n{this}");
        return this;
    }

    /// <summary>Stdout of a <c>--json</c> listing: an array of objects.</summary>
    public List<JsonElement> JsonArray()
    {
        Expect(0);
        using var doc = JsonDocument.Parse(Stdout);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Stdout of a <c>--json</c> creation or single result: one object.</summary>
    public JsonElement JsonObject()
    {
        Expect(0);
        using var doc = JsonDocument.Parse(Stdout);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        return doc.RootElement.Clone();
    }

    /// <summary>The secret printed after a header line ("Client auth-token:", "Registration token:").</summary>
    public string SecretAfter(string header)
    {
        Expect(0);
        var lines = Stdout.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(lines, header);
        Assert.True(at >= 0 && at + 1 < lines.Length, $"no '{header}' line\n{this}");
        var value = lines[at + 1];
        Assert.Matches("^[0-9a-f]{40}$", value);
        CliRunner.Secrets.Add(value);
        return value;
    }
}

/// <summary>Runs the real spokes binary (<c>dotnet spokes.dll</c>, built beside the tests).</summary>
public static class CliRunner
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Every token value and password the tests handled: none may ever show up in a log or the store.</summary>
    public static readonly ConcurrentBag<string> Secrets = new();

    public static string SpokesDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "spokes.dll");
            Assert.True(File.Exists(path), $"spokes.dll not found beside the tests at {path}");
            return path;
        }
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(SpokesDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var name in new[] { "SPOKES_CONFIG", "DOMAIN", "ADMIN_SECRET" }) info.Environment.Remove(name);
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    /// <summary>Runs <c>spokes [--config PATH] ARGS</c>; <paramref name="stdin"/> is written then closed.</summary>
    public static async Task<CliResult> RunAsync(string? configPath, string? stdin, params string[] args)
    {
        if (stdin is not null) Secrets.Add(stdin.Trim());
        var all = (configPath is null ? args : ["--config", configPath, .. args]).ToArray();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(StartInfo(all))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteLineAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"spokes {string.Join(' ', all)} did not exit within {Timeout.TotalSeconds} s\n{await stdout}\n{await stderr}");
        }
        return new CliResult(args, process.ExitCode, await stdout, await stderr, watch.Elapsed);
    }
}
