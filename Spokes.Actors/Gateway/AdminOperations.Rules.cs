using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>Pushes an optional change to the tunnel's agent, then shows the rules: live while online,
    /// cached while offline (read-only: a change needs the agent).</summary>
    private async Task<IWireMessage> TunnelRulesAsync(string tunnelId, RuleChange? change, string by)
    {
        tunnelId = tunnelId.Trim().ToLowerInvariant();
        if (await AskAsync(regions.Tunnels, new GetTunnel(tunnelId)) is not TunnelReply)
            return new Refusal(ErrorCode.NotFound, $"tunnel {tunnelId} not found");
        var message = "";
        if (change is not null)
        {
            if (change.Problem() is { } problem) return new Refusal(ErrorCode.Invalid, problem);
            if (!presence.Online.ContainsKey(tunnelId))
                return new Refusal(ErrorCode.Failed, "the tunnel is offline: its cached rules are read-only");
            // The push waits for the agent; it gets what is left of the request's deadline, keeping a step for the record.
            var pushed = await rules.PushAsync(tunnelId, change, PushWait(), RequestCancel);
            if (pushed is Refusal) return pushed;
            message = (pushed as AdminDone)?.Message ?? "";
            // The agent's own requests that follow are its; the journal records who asked for them.
            await AskForAsync<TunnelReply>(regions.Tunnels, new RecordRulePush(tunnelId, change.Summary(), by));
        }
        var tunnel = ((TunnelReply)await AskAsync(regions.Tunnels, new GetTunnel(tunnelId))).Tunnel;
        var ports = (PortsReply)await ListPortsAsync();
        var session = presence.Online.GetValueOrDefault(tunnelId);
        return new TunnelRulesReply(tunnelId, session is not null, message, tunnel.HttpRules,
            ports.Ports.Where(p => p.TunnelId == tunnelId).ToImmutableList(), presence.PortFirewalls(tunnelId), tunnel.Services);
    }

    /// <summary>Longest wait for a push (the agent answers within the session's own steps).</summary>
    public static readonly TimeSpan RulePushTimeout = TimeSpan.FromSeconds(35);

    /// <summary>What a push may wait: what is left of the request's deadline less a third of a step for recording it,
    /// at least 1 s and at most <see cref="RulePushTimeout"/>.</summary>
    private TimeSpan PushWait()
    {
        if (CallDeadline.Left is not { } callLeft) return RulePushTimeout;
        var left = callLeft - Timeouts.Step / 3;
        return left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left < RulePushTimeout ? left : RulePushTimeout;
    }
}
