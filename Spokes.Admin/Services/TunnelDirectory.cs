using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;

namespace Spokes.Admin.Services;

/// <summary>Tunnels, users and nodes as the console shows them, through the operations API (<see cref="AdminOperations"/>).</summary>
public interface ITunnelDirectory
{
    Task<Outcome<OverviewDto>> OverviewAsync();
    Task<Outcome<ImmutableList<TunnelDto>>> ListAsync(bool includeShutdown);
    Task<Outcome<TunnelDetailsDto>> DetailsAsync(string id);
    Task<Outcome<string>> ShutdownAsync(string id, string by);
    Task<Outcome<ImmutableList<UserTunnelsDto>>> UsersAsync();
    Task<Outcome<ImmutableList<NodeDto>>> ClusterAsync();
    Task<Outcome<string>> DrainAsync(string node, string by);
    /// <summary>Traffic of one tunnel, or of all (null): the last hour or day summed over the nodes' memory, or the last
    /// 30 days from the store's daily roll-ups.</summary>
    Task<Outcome<TrafficHistoryReply>> TrafficAsync(string? tunnelId, TrafficPeriod period);
    /// <summary>A page of a tunnel's relayed connections, newest first.</summary>
    Task<Outcome<TunnelConnectionsReply>> ConnectionsAsync(string tunnelId, int offset, int limit);
}

/// <summary>The spans the traffic graphs show: live (nodes' memory) for the hour and the day, roll-ups for the month.</summary>
public enum TrafficPeriod { Hour, Day, Month }

public sealed class TunnelDirectory(AdminOperations operations) : ITunnelDirectory
{
    public const int BusiestCount = 8;

    /// <summary>The refusal of <see cref="DetailsAsync"/> for an id no tunnel has (the console answers it with 404).</summary>
    public const string NotFound = "tunnel not found";

    public async Task<Outcome<OverviewDto>> OverviewAsync()
    {
        // Bandwidth counts every tunnel that carried traffic in the period, shut down since or not; the counts
        // are of the tunnels that exist.
        var list = await ListAsync(includeShutdown: true);
        if (list.Value is not { } all) return Outcome<OverviewDto>.Failure(list.Error!);
        var tunnels = all.Where(t => t.State == "active").ToList();
        var online = tunnels.Count(t => t.Online);
        return Outcome<OverviewDto>.Success(new OverviewDto(online, tunnels.Count - online, tunnels.Count,
            all.Sum(t => t.BytesDaily), all.Sum(t => t.BytesMonthly),
            all.Where(t => t.BytesMonthly > 0).OrderByDescending(t => t.BytesMonthly).Take(BusiestCount).ToImmutableList()));
    }

    public async Task<Outcome<ImmutableList<TunnelDto>>> ListAsync(bool includeShutdown) =>
        (await operations.HandleAsync(new ListTunnelsRequest(false, includeShutdown), "console"))
        .ToOutcome(r => (r as TunnelsReply)?.Tunnels);

    public async Task<Outcome<TunnelDetailsDto>> DetailsAsync(string id) =>
        await operations.HandleAsync(new TunnelDetailsRequest(id), "console") switch
        {
            TunnelDetailsReply d => Outcome<TunnelDetailsDto>.Success(new TunnelDetailsDto(d.Tunnel, d.TokenId, d.BytesTotal, d.Rules, d.Ports)),
            Refusal { Code: ErrorCode.NotFound } => Outcome<TunnelDetailsDto>.Failure(NotFound),
            Refusal refusal => Outcome<TunnelDetailsDto>.Failure(refusal.Message),
            var other => Outcome<TunnelDetailsDto>.Failure($"unexpected {other.GetType().Name}"),
        };

    public async Task<Outcome<string>> ShutdownAsync(string id, string by) =>
        (await operations.HandleAsync(new ShutdownTunnelRequest(id), by)).ToOutcome(r => (r as AdminDone)?.Message);

    public async Task<Outcome<ImmutableList<UserTunnelsDto>>> UsersAsync()
    {
        var users = (await operations.HandleAsync(new ListUsersRequest(All: true), "console")).ToOutcome(r => (r as UsersReply)?.Users);
        if (users.Value is not { } all) return Outcome<ImmutableList<UserTunnelsDto>>.Failure(users.Error!);
        var tunnels = await ListAsync(includeShutdown: false);
        if (tunnels.Value is not { } listed) return Outcome<ImmutableList<UserTunnelsDto>>.Failure(tunnels.Error!);
        var byUser = listed.ToLookup(t => t.User);
        return Outcome<ImmutableList<UserTunnelsDto>>.Success(all.Select(u => new UserTunnelsDto(u, u.Role.Length > 0, byUser[u.Email].ToImmutableList()))
            .OrderByDescending(u => u.IsAdmin).ThenBy(u => u.User.Email, StringComparer.Ordinal).ToImmutableList());
    }

    public async Task<Outcome<TrafficHistoryReply>> TrafficAsync(string? tunnelId, TrafficPeriod period) =>
        (await operations.HandleAsync(period == TrafficPeriod.Month
            ? new TrafficRollupsRequest(tunnelId)
            : new TrafficHistoryRequest(tunnelId, period == TrafficPeriod.Day), "console")).ToOutcome(r => r as TrafficHistoryReply);

    public async Task<Outcome<TunnelConnectionsReply>> ConnectionsAsync(string tunnelId, int offset, int limit) =>
        (await operations.HandleAsync(new TunnelConnectionsRequest(tunnelId, offset, limit), "console")).ToOutcome(r => r as TunnelConnectionsReply);

    public async Task<Outcome<ImmutableList<NodeDto>>> ClusterAsync() =>
        (await operations.HandleAsync(new ClusterStatusRequest(), "console")).ToOutcome(r => (r as ClusterReply)?.Nodes);

    public async Task<Outcome<string>> DrainAsync(string node, string by) =>
        (await operations.HandleAsync(new DrainNodeRequest(node), by)).ToOutcome(r => (r as AdminDone)?.Message);
}
