using System.Collections.Immutable;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Tunnels;

public enum TunnelLifecycle { Active, Shutdown }

/// <summary>
/// The durable part of a tunnel. Lifecycle: Empty → Active → Shutdown (final: its token is revoked,
/// its ports are freed). Online state lives in the session, not here.
/// </summary>
public sealed record TunnelState : IWireMessage
{
    public static readonly TunnelState Empty = new();
    public string Id { get; init; } = "";
    public string TokenId { get; init; } = "";
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public string Hostname { get; init; } = "";
    public TunnelLifecycle Lifecycle { get; init; }
    public DateTimeOffset Created { get; init; }
    public string LastAddress { get; init; } = "";
    /// <summary>When the agent was last known connected: its last session start or link close.
    /// A node that dies with the link writes no close, so the tunnel may have lived a little longer than this.</summary>
    public DateTimeOffset LastSeen { get; init; }
    public ImmutableSortedSet<int> Ports { get; init; } = [];
    public ImmutableList<HttpRuleInfo> HttpRules { get; init; } = [];
    /// <summary>What the agent's upstream monitor last reported, by rule (empty while monitoring is off).</summary>
    public ImmutableDictionary<string, ServiceState> Services { get; init; } = ImmutableDictionary<string, ServiceState>.Empty;
    /// <summary>The last relayed connections a journal written before the traffic history had its own table holds
    /// (<see cref="TunnelTrafficRecorded"/>); empty otherwise. Connections are recorded in the store's traffic history.</summary>
    public ImmutableList<ConnectionRecord> RecentConnections { get; init; } = [];
    public const int RecentLimit = 100;
    public long BytesDaily { get; init; }
    public long BytesMonthly { get; init; }
    public long BytesTotal { get; init; }
    /// <summary>UTC day (yyyy-MM-dd) the daily counter belongs to.</summary>
    public string CounterDay { get; init; } = "";
    public bool Exists => Id.Length > 0;
    public bool IsActive => Exists && Lifecycle == TunnelLifecycle.Active;

    /// <summary>Daily bytes as seen at <paramref name="now"/> (a counter from another day reads as 0).</summary>
    public long DailyAt(DateTimeOffset now) => CounterDay == Day(now) ? BytesDaily : 0;
    public long MonthlyAt(DateTimeOffset now) => CounterDay.Length >= 7 && CounterDay[..7] == Day(now)[..7] ? BytesMonthly : 0;

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public Decision Decide(ITunnelMessage command, DateTimeOffset now) => command switch
    {
        CreateTunnel when Exists => Decision.Answer(),
        CreateTunnel c => Decision.Persist(new TunnelCreated(c.EntityId, c.TokenId, c.UserId, c.UserName, c.Hostname, now, c.By)),
        _ when !Exists => Decision.Refuse(ErrorCode.NotFound, "tunnel not found"),
        GetTunnel => Decision.Answer(),
        ShutdownTunnel when !IsActive => Decision.Answer(),
        ShutdownTunnel s => new Decision(
            [new TunnelShutDown(Id, s.Reason, now, s.By), .. Ports.Select(p => new TunnelPortRemoved(Id, p, now, s.By))], null),
        AllocatePort when !IsActive => Decision.Refuse(ErrorCode.Invalid, "tunnel is shut down"),
        AllocatePort a when Ports.Count >= a.MaxPorts =>
            Decision.Refuse(ErrorCode.QuotaReached, $"tunnel already holds {Ports.Count} of {a.MaxPorts} allowed ports"),
        // Within quota: the entity runs the allocation saga; the port is recorded once leased (PortAdded).
        AllocatePort => Decision.Answer(),
        ReleaseTunnelPort r when !Ports.Contains(r.Port) => Decision.Refuse(ErrorCode.NotFound, $"port {r.Port} is not leased to this tunnel"),
        ReleaseTunnelPort r => Decision.Persist(new TunnelPortRemoved(Id, r.Port, now, r.By)),
        CacheHttpRules r => Decision.Persist(new TunnelRulesCached(Id, r.Rules, now, r.By)),
        RecordSessionStart s => Decision.Persist(new TunnelSessionStarted(Id, s.Address, now, s.By)),
        RecordRulePush p => Decision.Persist(new TunnelRulePushed(Id, p.Change.Length <= 300 ? p.Change : p.Change[..300], now, p.By)),
        RecordLinkClosed l => Decision.Persist(new TunnelLinkClosed(Id, l.Node.Length <= 128 ? l.Node : l.Node[..128], now, l.By)),
        RecordServiceStates r => new Decision(ServiceChanges(r, now), null),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    /// <summary>One event per rule whose state changed (or that is no longer reported); none when nothing did.</summary>
    private IDomainEvent[] ServiceChanges(RecordServiceStates r, DateTimeOffset now)
    {
        var reported = r.Services.Take(MaxServices).GroupBy(s => s.Rule).ToDictionary(g => g.Key, g => g.Last());
        var changed = reported.Values.Where(s => !Services.TryGetValue(s.Rule, out var known) || known.Online != s.Online)
            .Select(s => (IDomainEvent)new TunnelServiceChanged(Id, s.Rule, s.Online, s.Since, r.By));
        var gone = Services.Keys.Where(k => !reported.ContainsKey(k)).Select(k => (IDomainEvent)new TunnelServiceChanged(Id, k, null, now, r.By));
        return [.. changed, .. gone];
    }

    /// <summary>Services kept per tunnel (rules plus leases are far fewer).</summary>
    public const int MaxServices = 256;

    /// <summary>Records a port leased by the allocation (see TunnelEntity).</summary>
    public static IDomainEvent PortAdded(string id, int port, DateTimeOffset now, string by) => new TunnelPortAdded(id, port, now, by);

    public TunnelState Apply(IDomainEvent e) => e switch
    {
        TunnelCreated c => this with
        {
            Id = c.Id, TokenId = c.TokenId, UserId = c.UserId, UserName = c.UserName, Hostname = c.Hostname,
            Lifecycle = TunnelLifecycle.Active, Created = c.At,
        },
        TunnelShutDown => this with { Lifecycle = TunnelLifecycle.Shutdown },
        TunnelPortAdded p => this with { Ports = Ports.Add(p.Port) },
        TunnelPortRemoved p => this with { Ports = Ports.Remove(p.Port) },
        TunnelRulesCached r => this with { HttpRules = r.Rules },
        TunnelSessionStarted s => this with { LastAddress = s.Address, LastSeen = Later(LastSeen, s.At) },
        TunnelLinkClosed l => this with { LastSeen = Later(LastSeen, l.At) },
        TunnelServiceChanged { Online: { } online } c => this with { Services = Services.SetItem(c.Rule, new ServiceState(c.Rule, online, c.At)) },
        TunnelServiceChanged c => this with { Services = Services.Remove(c.Rule) },
        TunnelTrafficRecorded t => AddBytes(t.Bytes, t.At) with
        {
            LastSeen = Later(LastSeen, t.At),
            RecentConnections = RecentConnections.AddRange(t.Connections) is var all && all.Count > RecentLimit
                ? all.RemoveRange(0, all.Count - RecentLimit)
                : all,
        },
        _ => this,
    };

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private TunnelState AddBytes(long bytes, DateTimeOffset at)
    {
        var day = Day(at);
        var sameDay = CounterDay == day;
        var sameMonth = CounterDay.Length >= 7 && CounterDay[..7] == day[..7];
        return this with
        {
            CounterDay = day,
            BytesDaily = (sameDay ? BytesDaily : 0) + bytes,
            BytesMonthly = (sameMonth ? BytesMonthly : 0) + bytes,
            BytesTotal = BytesTotal + bytes,
        };
    }
}
