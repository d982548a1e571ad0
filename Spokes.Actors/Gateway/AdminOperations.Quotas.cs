using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

/// <summary>
/// Per-user quotas (docs/reliability.md, "Quotas"): the user entity holds them; each is checked where the thing it
/// counts is created — a tunnel when an agent registers as the user, a port when a tunnel of the user leases one, a
/// domain when a tunnel of the user claims it — against the cluster's catalog, on whichever node asks. The monthly
/// bandwidth cap is watched by every node (<c>BandwidthCaps</c> in Spokes.Edge), which refuses new visitors of capped tunnels.
/// </summary>
public sealed partial class AdminOperations
{
    public const int MaxQuotaDomains = 100;

    private async Task<IWireMessage> UserQuotaAsync(UserQuotaRequest r, string by)
    {
        if (r.MaxTunnels is < 0 or > 1_000_000 || r.MaxPorts is < 0 or > 65_535 || r.MonthlyBytes is < 0)
            return new Refusal(ErrorCode.Invalid, "quotas are 0 (no limit) to 1000000 tunnels, 0 to 65535 ports and 0 or more monthly bytes");
        var domains = r.Domains?.Select(d => d.Trim().TrimEnd('.').ToLowerInvariant()).Where(d => d.Length > 0).Distinct().ToImmutableList();
        if (domains is { Count: > MaxQuotaDomains }) return new Refusal(ErrorCode.Invalid, $"at most {MaxQuotaDomains} domain patterns");
        if (domains?.FirstOrDefault(d => !DomainPatterns.IsValid(d)) is { } bad)
            return new Refusal(ErrorCode.Invalid, $"'{bad}' is not a domain or *.domain pattern");
        var reply = await AskAsync(regions.Users, new GetUser(r.User.EntityId));
        if (reply is not UserReply { User: { Exists: true } user }) return new Refusal(ErrorCode.NotFound, $"user {r.User} not found");
        if (r.MaxTunnels is not null || r.MaxPorts is not null || domains is not null || r.MonthlyBytes is not null)
        {
            var quota = new UserQuota(
                r.MaxTunnels is null ? user.Quota.MaxTunnels : r.MaxTunnels == 0 ? null : r.MaxTunnels,
                r.MaxPorts is null ? user.Quota.MaxPorts : r.MaxPorts == 0 ? null : r.MaxPorts,
                domains is null ? user.Quota.Domains : domains.Count == 0 ? null : domains,
                r.MonthlyBytes is null ? user.Quota.MonthlyBytes : r.MonthlyBytes == 0 ? null : r.MonthlyBytes);
            user = (await AskForAsync<UserReply>(regions.Users, new SetUserQuota(user.Id, quota, by))).User;
        }
        var tunnels = await UserTunnelsAsync(user.Id);
        var ports = await UserPortsAsync(tunnels);
        return new UserQuotaReply(user.Id, user.Email, user.Quota.MaxTunnels, user.Quota.MaxPorts, user.Quota.Domains ?? [], tunnels.Count, ports,
            tunnels.SelectMany(t => t.HttpRules.Select(h => h.Domain)).Distinct().Order(StringComparer.Ordinal).ToImmutableList(),
            user.Quota.MonthlyBytes, await MonthlyBytesAsync(tunnels));
    }

    private async Task<ImmutableList<TunnelState>> UserTunnelsAsync(string userId) =>
        (await CatalogTunnelsAsync()).Where(t => t.IsActive && t.UserId == userId).ToImmutableList();

    private async Task<int> UserPortsAsync(IReadOnlyCollection<TunnelState> tunnels)
    {
        var ids = tunnels.Select(t => t.Id).ToHashSet();
        return (await CatalogLeasesAsync()).Count(l => l.TunnelId is { } id && ids.Contains(id));
    }

    /// <summary>The user a tunnel belongs to (null: made by <c>token create</c>, no user, so no quota).</summary>
    private async Task<string?> UserOfTunnelAsync(string tunnelId) =>
        await AskAsync(regions.Tunnels, new GetTunnel(tunnelId)) is TunnelReply { Tunnel.UserId: { } userId } ? userId : null;

    private async Task<UserQuota> QuotaOfAsync(string userId) =>
        await AskAsync(regions.Users, new GetUser(userId)) is UserReply { User: { Exists: true } user } ? user.Quota : UserQuota.None;

    /// <summary>Refuses a new tunnel for a user already holding its quota of tunnels; null when it may have one.</summary>
    private async Task<Refusal?> TunnelQuotaAsync(UserState user) =>
        user.Quota.MaxTunnels is { } max && (await UserTunnelsAsync(user.Id)).Count >= max
            ? new Refusal(ErrorCode.QuotaReached, $"user {user.Email} already has {max} tunnel{(max == 1 ? "" : "s")}, its quota")
            : null;

    /// <summary>Refuses a port for <paramref name="tunnelId"/> when its user's tunnels already lease their quota of ports.</summary>
    private async Task<Refusal?> PortQuotaAsync(string tunnelId)
    {
        if (await UserOfTunnelAsync(tunnelId) is not { } userId) return null;
        if ((await QuotaOfAsync(userId)).MaxPorts is not { } max) return null;
        var used = await UserPortsAsync(await UserTunnelsAsync(userId));
        return used >= max ? new Refusal(ErrorCode.QuotaReached, $"the tunnels of this user already lease {used} of {max} allowed ports (user quota)") : null;
    }

    /// <summary>Patterns of the domains tunnels may claim besides the server's domain and the names below it
    /// (<c>limits.claimDomains</c>); empty: any domain.</summary>
    public IReadOnlyList<string> ClaimDomains { get; init; } = [];

    /// <summary>Why <paramref name="tunnelId"/> may not claim <paramref name="domain"/>: outside the server's claim
    /// list, or outside its user's quota; null when it may.</summary>
    public async Task<string?> DomainClaimProblemAsync(string tunnelId, string domain)
    {
        if (ClaimDomains.Count > 0 && !DomainPatterns.Matches("*." + ServerDomain.Current, domain) && !DomainPatterns.AnyMatches(ClaimDomains, domain))
            return $"{domain} is outside the domains this server lets tunnels claim (names below {ServerDomain.Current}, {string.Join(", ", ClaimDomains)})";
        try
        {
            if (await UserOfTunnelAsync(tunnelId) is not { } userId) return null;
            var quota = await QuotaOfAsync(userId);
            return quota.AllowsDomain(domain) ? null : $"{domain} is outside this user's allowed domains ({string.Join(", ", quota.Domains!)})";
        }
        catch (RefusedException refused)
        {
            return $"the domain quota could not be read: {refused.Message}";
        }
    }
}
