using System.Collections.Immutable;
using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Store;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    private async Task<IWireMessage> ListTunnelsAsync(ListTunnelsRequest r)
    {
        var tunnels = (await CatalogTunnelsAsync());
        var online = presence.Online;
        var now = Now;
        var recorded = await RecordedTrafficAsync(now);
        return new TunnelsReply(tunnels
            .Where(t => r.All || t.IsActive)
            .Select(t => ToDto(t, online.GetValueOrDefault(t.Id), now, TrafficOf(t, recorded, now)) with { AutoHostname = t.IsActive ? AutoNames?.For(t.Id) : null })
            .Where(t => !r.OnlineOnly || t.Online)
            .ToImmutableList());
    }

    public static TunnelDto ToDto(TunnelState t, SessionPresence? session, DateTimeOffset now, TrafficTotals traffic) => new(
        t.Id, t.UserName ?? "", t.Hostname, session is not null,
        session?.ClientAddress ?? t.LastAddress,
        session is null ? 0 : (long)Math.Max(0, (now - session.Since).TotalSeconds),
        traffic.Daily, traffic.Monthly, t.Created,
        t.Lifecycle == TunnelLifecycle.Active ? "active" : "shutdown", t.Ports.ToImmutableList(), session?.Node ?? "",
        [.. t.Services.Values.OrderBy(s => s.Rule, StringComparer.Ordinal)],
        Domains: [.. t.HttpRules.Select(r => r.Domain).Order(StringComparer.Ordinal)],
        LastSeen: session is not null ? now : t.LastSeen == default ? null : t.LastSeen);

    /// <summary>Shuts a tunnel down: persists it, deactivates its auth token, then frees each of its ports and
    /// domains. Idempotent.</summary>
    public async Task<IWireMessage> ShutdownTunnelAsync(string id, string reason, string by)
    {
        id = id.Trim().ToLowerInvariant();
        if (id.Length == 0) return new Refusal(ErrorCode.NotFound, "which tunnel? the id is empty");
        var before = await AskAsync(regions.Tunnels, new GetTunnel(id));
        if (before is not TunnelReply { Tunnel: var tunnel })
            return new Refusal(ErrorCode.NotFound, $"tunnel {id} not found");
        await AskForAsync<TunnelReply>(regions.Tunnels, new ShutdownTunnel(id, reason, by));
        if (!string.IsNullOrEmpty(tunnel.TokenId))
            await AskForAsync<Tokens.AuthTokenReply>(regions.Tokens, new Tokens.DeactivateAuthToken(tunnel.TokenId, by));
        await credentials.ForgetAsync(tunnel.TokenId);
        foreach (var port in tunnel.Ports)
            await AskForAsync<PortLeaseReply>(regions.Ports, new ReleasePort(PortIds.For(port), id, by));
        foreach (var rule in tunnel.HttpRules)
            await AskForAsync<Domains.DomainReply>(regions.Domains, new Domains.ReleaseDomain(Domains.DomainIds.For(rule.Domain), id, by));
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system).Mediator.Tell(
            new Akka.Cluster.Tools.PublishSubscribe.Publish(SessionTopics.Shutdown, new TunnelShutdownRequested(id, reason)), ActorRefs.NoSender);
        return new AdminDone($"Tunnel {id} shut down");
    }

    private async Task<IWireMessage> ListPortsAsync()
    {
        var leases = (await CatalogLeasesAsync());
        var tunnels = (await CatalogTunnelsAsync()).ToDictionary(t => t.Id);
        var online = presence.Online;
        var now = Now;
        var recorded = await RecordedTrafficAsync(now);
        return new PortsReply(leases.Select(l =>
        {
            var tunnel = tunnels.GetValueOrDefault(l.TunnelId!);
            var dto = tunnel is null ? null : ToDto(tunnel, online.GetValueOrDefault(tunnel.Id), now, TrafficOf(tunnel, recorded, now));
            return new PortDto(l.Port, dto?.User ?? "", l.TunnelId!, dto?.Online ?? false, dto?.UptimeSeconds ?? 0,
                dto?.BytesDaily ?? 0, dto?.BytesMonthly ?? 0,
                l.DestinationHost is null ? "" : $"{l.DestinationHost}:{l.DestinationPort}");
        }).ToImmutableList());
    }

    /// <summary>Leases a port for a tunnel within the node's current options.</summary>
    public async Task<IWireMessage> AllocatePortAsync(string tunnelId, string by)
    {
        var o = options.Current;
        if (await PortQuotaAsync(tunnelId) is { } full) return full;
        return await AskAsync(regions.Tunnels, new AllocatePort(tunnelId, o.MaxPorts, options.Range.Begin, options.Range.End, by));
    }

    /// <summary>Gives a port back: the tunnel forgets it first, then the lease is freed.</summary>
    public async Task<IWireMessage> ReleasePortAsync(string tunnelId, int port, string by)
    {
        var reply = await AskAsync(regions.Tunnels, new ReleaseTunnelPort(tunnelId, port, by));
        if (reply is Refusal) return reply;
        return await AskAsync(regions.Ports, new ReleasePort(PortIds.For(port), tunnelId, by));
    }
}
