using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Spokes.Actors.Gateway;

namespace Spokes.Edge.Traffic;

/// <summary>Samples <see cref="TrafficMeter"/> into <see cref="TrafficHistory"/> half a second after every 10 s of the
/// UTC clock (one sample per step, however the timer drifts).</summary>
public sealed class TrafficSampler(TrafficMeter meter, TrafficHistory history, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                var step = TimeSpan.FromSeconds(AdminOperations.HourStep);
                var next = new DateTimeOffset((now.UtcTicks / step.Ticks + 1) * step.Ticks, TimeSpan.Zero).AddMilliseconds(500);
                await Task.Delay(next - now, time, stoppingToken);
                history.Sample(meter.Tunnels, time.GetUtcNow());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>Answers other nodes' (and this node's) <see cref="NodeTrafficRequest"/> from this node's history.</summary>
public sealed class TrafficHistoryActor : ReceiveActor
{
    public TrafficHistoryActor(TrafficHistory history, TimeProvider time) =>
        Receive<NodeTrafficRequest>(r => Sender.Tell(new NodeTrafficReply(history.Read(r.TunnelId, r.Day, time.GetUtcNow()))));

    public static Props Props(TrafficHistory history, TimeProvider time) => Akka.Actor.Props.Create(() => new TrafficHistoryActor(history, time));
}
