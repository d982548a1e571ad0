using Spokes.Tests.Support;

namespace Spokes.Tests.Admin;

/// <summary>A <c>dotnet some.dll ...</c> child process (the shared <see cref="SpokesProcess"/>) whose output
/// lines can be awaited (no sleeps) and dumped when a test fails. Killed with its children on dispose.</summary>
internal sealed class DotnetProcess(string name, string dll, IEnumerable<string> args,
    IReadOnlyDictionary<string, string?>? env = null, string? stdin = null) : IAsyncDisposable
{
    private readonly SpokesProcess _process = SpokesProcess.Start(name, dll, args, new ProcessLog(), stdin, env);

    public string Name { get; } = name;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    public IReadOnlyList<string> Lines => _process.Lines;

    public Task<string> WaitForLineAsync(string contains, TimeSpan timeout) => _process.WaitForLineAsync(contains, timeout);

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
