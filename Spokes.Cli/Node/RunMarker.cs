namespace Spokes.Cli.Node;

/// <summary>
/// A file under <c>dataPath/run/</c>, one per cluster address, touched every second while the node runs and removed
/// when it stops. Found fresh at start, it means the previous run of this node ended without leaving the cluster (a
/// crash, SIGKILL, a power cut): the others still count that incarnation as a member until the split brain resolver
/// downs and removes it. A new incarnation that connects before that removal loses its connections to peers when
/// they quarantine the old one (Akka.NET classic remoting), and then never joins or turns unreachable right after
/// joining. So the node waits until <see cref="Hold"/> has passed since the last touch (docs/architecture.md,
/// "Restarts after a crash").
/// </summary>
internal sealed class RunMarker : IAsyncDisposable
{
    /// <summary>Failure detection (~4 s) + stable-after (5 s) + removal (~2 s), with a margin.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(1);
    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _beating;

    private RunMarker(string path)
    {
        _path = path;
        _beating = BeatAsync();
    }

    /// <summary>
    /// Waits out the hold if the previous run crashed less than <see cref="Hold"/> ago and the seeds name other nodes
    /// (a node alone has nobody to wait for), then marks this run.
    /// </summary>
    public static async Task<RunMarker> StartAsync(string dataPath, string host, int port, bool hasPeers,
        CancellationToken cancellationToken = default)
    {
        var folder = Path.Combine(dataPath, "run");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{host}_{port}.alive");
        if (hasPeers && File.Exists(path))
        {
            var ago = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
            var wait = Hold - ago;
            if (wait > TimeSpan.Zero)
            {
                Console.WriteLine($"spokes: this node stopped without leaving the cluster {ago.TotalSeconds:0} s ago; " +
                                  $"waiting {wait.TotalSeconds:0} s until the other nodes have removed it");
                await Task.Delay(wait, cancellationToken);
            }
        }
        await File.WriteAllTextAsync(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            cancellationToken);
        return new RunMarker(path);
    }

    private async Task BeatAsync()
    {
        using var timer = new PeriodicTimer(Beat);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    File.SetLastWriteTimeUtc(_path, DateTime.UtcNow);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Removed or not writable for a moment: the next beat tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _beating;
        _stop.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later start waits at most the hold.
        }
    }
}
