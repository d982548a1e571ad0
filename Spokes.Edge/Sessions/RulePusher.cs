using Akka.Actor;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Hosting;
using Spokes.Edge.Routing;

namespace Spokes.Edge.Sessions;

/// <summary>Finds the node holding the tunnel's primary link (route table: the link the agent sends its rule
/// requests on, the session's single decider) and asks its session manager to apply the change through the agent.</summary>
public sealed class RulePusher(RouteTableSource routes, ActorSystem system) : IRulePusher
{
    public async Task<IWireMessage> PushAsync(string tunnelId, RuleChange change, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!routes.Current.ByTunnel.TryGetValue(tunnelId, out var target))
            return new Refusal(ErrorCode.Failed, "the tunnel is offline: its cached rules are read-only");
        var node = target.Links[0].Node;
        var manager = system.ActorSelection($"{SpokesAkkaExtensions.SeedAddress(HostOf(node), PortOf(node))}/user/sessions");
        try
        {
            return await manager.Ask<IWireMessage>(new PushRule(tunnelId, change), wait, cancellationToken);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return new Refusal(ErrorCode.Unavailable,
                $"the session of tunnel {tunnelId} on node {node} (and its agent) did not apply the change within {wait.TotalSeconds:0} s");
        }
    }

    private static string HostOf(string node) => node[..node.LastIndexOf(':')];
    private static int PortOf(string node) => int.Parse(node[(node.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
