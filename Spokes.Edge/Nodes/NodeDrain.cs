using Microsoft.Extensions.Logging;
using Spokes.Actors.Nodes;
using Spokes.Edge.Sessions;
using Spokes.Edge.Traffic;

namespace Spokes.Edge.Nodes;

/// <summary>
/// Takes this node out of service without losing a visitor: it reports not ready at once (so a balancer stops
/// sending it new connections) and tells its nodes' view that it drains (peers stop relaying to it, agents see it
/// in their node list); tells every agent with a link here to move (each opens its replacement on another node
/// first, then stops taking streams here); and waits until no link and no visitor connection is left, at most
/// <c>cluster.drainSeconds</c> — and at least <see cref="BalancerGrace"/>, the time a balancer checking /readyz
/// needs to stop sending new connections here. What runs it then stops the node, which leaves the cluster.
/// </summary>
public sealed class NodeDrain(NodeReadiness readiness, SessionManagerRef sessions, LocalLinks links, TrafficMeter meter,
    DrainOptions options, TimeProvider time, ILogger<NodeDrain> log)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>The least a drain lasts (bounded by drainSeconds): a balancer's checks (every 0.5 s, two failures)
    /// notice the node is not ready within this.</summary>
    public static readonly TimeSpan BalancerGrace = TimeSpan.FromSeconds(3);
    private readonly Lock _lock = new();
    private Task? _draining;

    /// <summary>Starts the drain (once; later calls get the same task) and completes when it is done.</summary>
    public Task DrainAsync(string why)
    {
        lock (_lock)
        {
            return _draining ??= RunAsync(why);
        }
    }

    public bool Started => Volatile.Read(ref _draining) is not null;

    private async Task RunAsync(string why)
    {
        await Task.Yield();
        var started = time.GetTimestamp();
        readiness.StartDraining();
        var seconds = options.Seconds;
        log.LogWarning("drain: started ({Why}); not ready; {Links} tunnel(s) told to move, {Visitors} visitor connection(s) open; " +
                       "waiting up to {Seconds} s", why, links.Count, meter.Active, seconds);
        sessions.Actor.Tell(new DrainLinks(seconds), Akka.Actor.ActorRefs.NoSender);
        var deadline = started + (long)(seconds * (double)time.TimestampFrequency);
        var grace = started + (long)(Math.Min(seconds, BalancerGrace.TotalSeconds) * time.TimestampFrequency);
        while (time.GetTimestamp() < deadline && (links.Count > 0 || meter.Active > 0 || time.GetTimestamp() < grace))
            await Task.Delay(Poll, time);
        var elapsed = time.GetElapsedTime(started);
        if (links.Count == 0 && meter.Active == 0)
            log.LogWarning("drain: done in {Seconds:0.0} s; leaving the cluster", elapsed.TotalSeconds);
        else
            log.LogWarning("drain: {Seconds} s passed with {Links} tunnel(s) and {Visitors} visitor connection(s) left; leaving the cluster",
                seconds, links.Count, meter.Active);
    }
}

/// <summary><c>cluster.drainSeconds</c>.</summary>
public sealed record DrainOptions(int Seconds);
