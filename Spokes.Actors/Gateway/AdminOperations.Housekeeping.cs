using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence.Query;
using Akka.Streams;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>Finds (and unless <paramref name="checkOnly"/>, fixes) what a crash between two entity writes
    /// can leave behind: tunnels of revoked tokens, leases nobody holds, ports a tunnel lists but does not
    /// hold, domains claimed by tunnels that are shut down, active tokens without a tunnel.</summary>
    private async Task<IWireMessage> CleanAsync(bool checkOnly, string by)
    {
        var tokens = (await CatalogTokensAsync()).ToDictionary(t => t.Id);
        var tunnels = (await CatalogTunnelsAsync()).ToDictionary(t => t.Id);
        var leases = (await CatalogLeasesAsync());
        var issues = ImmutableList.CreateBuilder<string>();
        var fixes = new List<Func<Task>>();

        foreach (var tunnel in tunnels.Values.Where(t => t.IsActive))
        {
            if (tokens.TryGetValue(tunnel.TokenId, out var token) && token.Active) continue;
            issues.Add($"tunnel {tunnel.Id} is active but its auth token is revoked");
            fixes.Add(() => ShutdownTunnelAsync(tunnel.Id, "auth token deactivated (clean)", by));
        }
        foreach (var lease in leases)
        {
            var holder = tunnels.GetValueOrDefault(lease.TunnelId!);
            if (holder is { IsActive: true } && holder.Ports.Contains(lease.Port)) continue;
            issues.Add($"port {lease.Port} is leased to tunnel {lease.TunnelId} which does not hold it");
            fixes.Add(() => AskForAsync<PortLeaseReply>(regions.Ports, new ReleasePort(PortIds.For(lease.Port), null, by)));
        }
        foreach (var domain in (await CatalogDomainsAsync()))
        {
            if (tunnels.GetValueOrDefault(domain.TunnelId!) is { IsActive: true }) continue;
            issues.Add($"domain {domain.Domain} is claimed by tunnel {domain.TunnelId} which is shut down");
            fixes.Add(() => AskForAsync<Domains.DomainReply>(regions.Domains, new Domains.ReleaseDomain(domain.Domain, null, by)));
        }
        var leasedTo = leases.ToDictionary(l => l.Port, l => l.TunnelId);
        foreach (var tunnel in tunnels.Values.Where(t => t.IsActive))
        foreach (var port in tunnel.Ports.Where(p => leasedTo.GetValueOrDefault(p) != tunnel.Id))
        {
            issues.Add($"tunnel {tunnel.Id} lists port {port} without holding its lease");
            fixes.Add(() => AskForAsync<TunnelReply>(regions.Tunnels, new ReleaseTunnelPort(tunnel.Id, port, by)));
        }
        foreach (var token in tokens.Values.Where(t => t.Active && !tunnels.ContainsKey(t.TunnelId)))
        {
            issues.Add($"auth token {token.Id} has no tunnel");
            fixes.Add(() => AskForAsync<TunnelReply>(regions.Tunnels,
                new CreateTunnel(token.TunnelId, token.Id, token.UserId, token.UserName, token.Hostname, by)));
        }
        if (!checkOnly)
            foreach (var fix in fixes)
                await fix();
        return new AdminCleanReport(issues.Count, issues.ToImmutable());
    }

    private async Task<IWireMessage> AuditAsync(DateTimeOffset? since)
    {
        var entries = new List<AuditDto>();
        void Add(string persistenceId, object? e)
        {
            if (e is IDomainEvent d and not TunnelTrafficRecorded && (since is null || d.At >= since))
                entries.Add(new AuditDto(d.At, persistenceId, d.By, d.Describe()));
        }
        if (Journal is { } reader)
        {
            // In pages of indexed queries: the query plugin's tag query costs the square of the journal (JournalReader).
            for (var after = 0L; ;)
            {
                var page = await reader.PageAsync(JournalTags.All, after, ct: RequestCancel);
                foreach (var row in page)
                {
                    Add(row.PersistenceId, system.Serialization.Deserialize(row.Message, row.Identifier, row.Manifest));
                    after = row.Ordering;
                }
                if (page.Count < Store.JournalReader.PageSize) break;
            }
        }
        else
        {
            var journal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByTagQuery>(ReadJournalId);
            await journal.CurrentEventsByTag(JournalTags.All, Offset.NoOffset())
                .RunForeach(e => Add(e.PersistenceId, e.Event), system.Materializer());
        }
        return new AuditReply(entries.OrderBy(e => e.At).ToImmutableList());
    }

    /// <summary>Reads the journal for <c>audit ls</c> (set by the hosting code; without it the query plugin does).</summary>
    public Store.JournalReader? Journal { get; init; }

    /// <summary>The persistence query plugin the node runs (set by the hosting code).</summary>
    public string ReadJournalId { get; init; } = "akka.persistence.query.journal.sql";

    /// <summary>Asks the named node to drain (it answers at once and stops once its agents and visitors are gone).</summary>
    private async Task<IWireMessage> DrainNodeAsync(string node, string by)
    {
        node = node.Trim();
        var member = Akka.Cluster.Cluster.Get(system).State.Members.FirstOrDefault(m => $"{m.Address.Host}:{m.Address.Port}" == node);
        if (member is null) return new Refusal(ErrorCode.NotFound, $"no node {node} in the cluster (see spokes cluster status)");
        var drain = system.ActorSelection(member.Address + "/user/drain");
        return await AskAsync(drain, new DrainThisNode(by), $"node {node}");
    }

    /// <summary>This node's readiness: while the store does not answer, changes are refused at once (set by the hosting code).</summary>
    public Nodes.NodeReadiness? Readiness { get; init; }

    public const string StoreDown = "the store does not answer: changes are refused until it is back (tunnels keep relaying)";

    /// <summary>Whether <paramref name="request"/> would write to the store (reads are answered from the catalog and the
    /// nodes' memory).</summary>
    public static bool IsChange(IAdminRequest request) => request switch
    {
        ListUsersRequest or ListRegistrationsRequest or ListTokensRequest or ListApiKeysRequest or ListTunnelsRequest
            or ListPortsRequest or AuditRequest or ClusterStatusRequest or TrafficHistoryRequest or TrafficRollupsRequest or DrainNodeRequest
            or TunnelConnectionsRequest or TunnelDetailsRequest or GetUserRequest or AdminExistsRequest => false,
        CleanRequest c => !c.CheckOnly,
        TunnelRulesRequest r => r.Change is not null,
        UserQuotaRequest q => q.MaxTunnels is not null || q.MaxPorts is not null || q.Domains is not null || q.MonthlyBytes is not null,
        TunnelOptionsRequest o => o != new TunnelOptionsRequest(null, null),
        SocksSettingsRequest s => s.Port is not null || s.TlsPort is not null || s.Allow is not null,
        DomainSettingsRequest d => d.Name is not null,
        _ => true,
    };

    /// <summary>Where node info comes from (the replicated nodes map; set by the hosting code).</summary>
    public Nodes.INodeDirectory Nodes { get; init; } = new Nodes.NoNodeDirectory();

    private IWireMessage ClusterStatus()
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var online = presence.Online.Values.SelectMany(p => p.Nodes).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        var infos = Nodes.Nodes;
        return new ClusterReply(state.Members.OrderBy(m => m.Address.ToString()).Select(m =>
        {
            var name = $"{m.Address.Host}:{m.Address.Port}";
            var info = infos.GetValueOrDefault(name);
            var unreachable = state.Unreachable.Contains(m);
            return new NodeDto(name, unreachable ? "unreachable" : m.Status.ToString().ToLowerInvariant(), state.Leader == m.Address,
                m.Address == cluster.SelfAddress, m.Roles.OrderBy(r => r).ToImmutableList(), online.GetValueOrDefault(name))
            {
                Ready = info is { Ready: true } && !unreachable,
                Draining = info?.Draining ?? false,
                NotReadyReason = unreachable ? "unreachable" : info?.NotReadyReason ?? "no status yet",
                Advertise = info?.Advertise ?? "",
                AgentConnections = info?.Load.AgentConnections ?? 0,
                VisitorsPerSecond = Math.Round(info?.Load.VisitorsPerSecond ?? 0, 1),
                BytesPerSecond = Math.Round(info?.Load.BytesPerSecond ?? 0),
            };
        }).ToImmutableList());
    }
}
