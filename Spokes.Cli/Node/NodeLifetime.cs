using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Spokes.Actors.Nodes;
using Spokes.Edge.Nodes;

namespace Spokes.Cli.Node;

/// <summary>
/// How a node process starts and stops (replaces the console lifetime): SIGTERM or Ctrl-C drains the node first
/// (<see cref="NodeDrain"/>: not ready, agents move, in-flight streams finish, at most <c>cluster.drainSeconds</c>)
/// and then stops it, which leaves the cluster; a second signal stops at once. Under systemd
/// (<c>Type=notify</c>) it reports READY=1 once the node serves and its listeners accept and STOPPING=1 when the drain starts.
/// </summary>
internal sealed class NodeLifetime(IHostApplicationLifetime lifetime, IServiceProvider services, NodeReadiness readiness)
    : IHostLifetime, IDisposable
{
    private readonly SystemdNotifier _systemd = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private int _signalled;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            _signals.Add(PosixSignalRegistration.Create(signal, OnSignal));
        readiness.Up += () => _systemd.Notify(ServiceState.Ready);
        readiness.DrainingStarted += () => _systemd.Notify(ServiceState.Stopping);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signalled) > 1)
        {
            lifetime.StopApplication();
            return;
        }
        if (!readiness.Joined)
        {
            lifetime.StopApplication(); // still starting: nothing to drain
            return;
        }
        Console.WriteLine($"spokes: {context.Signal}: draining this node before it stops (signal again to stop at once)");
        // Resolved late: the drain needs the node's actors, which exist only once the node runs.
        var drain = services.GetRequiredService<NodeDrain>();
        _ = drain.DrainAsync(context.Signal.ToString()).ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
    }

    public void Dispose()
    {
        foreach (var signal in _signals) signal.Dispose();
    }
}
