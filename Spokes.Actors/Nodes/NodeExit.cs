using Microsoft.Extensions.Hosting;

namespace Spokes.Actors.Nodes;

/// <summary>
/// Stops this node's process with one line and an exit code, when the node must not go on: its cluster was
/// downed by the split brain resolver (a supervisor restarts it and it rejoins), or it would form a second
/// cluster on a store another live cluster uses. The first request wins.
/// </summary>
public sealed class NodeExit(IHostApplicationLifetime lifetime)
{
    private int _requested;

    /// <summary>The code <c>spokes start</c> returns (0 unless an exit was requested).</summary>
    public int Code { get; private set; }

    public void Request(int code, string message)
    {
        if (Interlocked.Exchange(ref _requested, 1) != 0) return;
        Code = code;
        Console.Error.WriteLine("spokes: " + message);
        lifetime.StopApplication();
    }
}
