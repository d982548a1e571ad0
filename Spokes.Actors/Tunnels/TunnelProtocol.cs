using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Tunnels;

public interface ITunnelMessage : IEntityMessage;

public static class TunnelIds
{
    /// <summary>One tunnel per auth token: its id follows from the token's id.</summary>
    public static string ForToken(string tokenId) => SecretValues.DeriveId("tunnel", tokenId);
}

/// <summary>An HTTP/S rule as cached by the node (the agent is the source of truth while online).</summary>
public sealed record HttpRuleInfo(string Domain, string Destination, int? HttpPort, int? TlsPort, string? Webroot,
    bool Redirect, string? HostHeader, bool Password, bool BasicAuth, bool LetsEncrypt, bool CustomCertificate,
    FirewallInfo? Firewall = null);

/// <summary>A rule's allow and drop lists: canonical CIDR networks, comma-separated (a value, so rules compare
/// equal when their lists do). Null on a rule without lists.</summary>
public sealed record FirewallInfo(string Allow, string Drop)
{
    public static FirewallInfo? Of(IReadOnlyList<string>? allow, IReadOnlyList<string>? drop) =>
        allow is { Count: > 0 } || drop is { Count: > 0 }
            ? new FirewallInfo(string.Join(',', allow ?? []), string.Join(',', drop ?? []))
            : null;

    public IReadOnlyList<string> AllowList => Allow.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> DropList => Drop.Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>For listings: "allow 10.0.0.0/8; drop 10.9.0.0/16".</summary>
    public override string ToString() => string.Join("; ",
        new[] { Allow.Length > 0 ? "allow " + Allow.Replace(",", ", ") : null, Drop.Length > 0 ? "drop " + Drop.Replace(",", ", ") : null }
            .Where(x => x is not null));
}

public sealed record CreateTunnel(string EntityId, string TokenId, string? UserId, string? UserName, string Hostname, string By)
    : ITunnelMessage;
public sealed record ShutdownTunnel(string EntityId, string Reason, string By) : ITunnelMessage;
/// <summary>Leases one more port from the range for this tunnel (quota and range come from the node's
/// current tunnel options).</summary>
public sealed record AllocatePort(string EntityId, int MaxPorts, int RangeBegin, int RangeEnd, string By) : ITunnelMessage;
public sealed record ReleaseTunnelPort(string EntityId, int Port, string By) : ITunnelMessage;
public sealed record CacheHttpRules(string EntityId, ImmutableList<HttpRuleInfo> Rules, string By) : ITunnelMessage;
public sealed record RecordSessionStart(string EntityId, string Address, string By) : ITunnelMessage;
/// <summary>A node's link of the tunnel's session closed (the agent's last connection to that node ended).</summary>
public sealed record RecordLinkClosed(string EntityId, string Node, string By) : ITunnelMessage;
/// <summary>An administrator (console, CLI or API key: <paramref name="By"/>) pushed a rule change to the online agent.</summary>
public sealed record RecordRulePush(string EntityId, string Change, string By) : ITunnelMessage;
/// <summary>A batch of relayed connections that closed since the previous batch (one write per tunnel
/// per flush interval, not one per connection).</summary>
public sealed record GetTunnel(string EntityId) : ITunnelMessage;
/// <summary>The agent's upstream monitor's view of every rule's and lease's destination (the whole list: a rule
/// missing from it is no longer watched; empty when monitoring is off).</summary>
public sealed record RecordServiceStates(string EntityId, ImmutableList<ServiceState> Services, string By) : ITunnelMessage;

/// <summary>Whether a rule's destination (<c>http:DOMAIN</c>, <c>tcp:PORT</c>) answered the agent's last TCP
/// connect, and since when.</summary>
public sealed record ServiceState(string Rule, bool Online, DateTimeOffset Since) : IWireMessage;

public sealed record TunnelReply(TunnelState Tunnel) : IWireMessage;
public sealed record PortAllocated(int Port) : IWireMessage;

public sealed record TunnelCreated(string Id, string TokenId, string? UserId, string? UserName, string Hostname,
    DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} created ({(Hostname.Length == 0 ? "no hostname" : Hostname)})";
}
public sealed record TunnelShutDown(string Id, string Reason, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} shut down: {Reason}";
}
public sealed record TunnelPortAdded(string Id, int Port, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} holds port {Port}";
}
public sealed record TunnelPortRemoved(string Id, int Port, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} gave up port {Port}";
}
public sealed record TunnelRulesCached(string Id, ImmutableList<HttpRuleInfo> Rules, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} rules: {(Rules.Count == 0 ? "none" : string.Join(", ", Rules.Select(r => r.Domain)))}";
}
public sealed record TunnelServiceChanged(string Id, string Rule, bool? Online, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} service {Rule} " + Online switch
    {
        true => "online",
        false => "unavailable",
        null => "no longer monitored",
    };
}
public sealed record TunnelSessionStarted(string Id, string Address, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} connected from {Address}";
}
public sealed record TunnelLinkClosed(string Id, string Node, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id} disconnected from node {Node}";
}

public sealed record TunnelRulePushed(string Id, string Change, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel {Id}: {Change} pushed to its agent";
}
/// <summary>One relayed connection, recorded when it closed.</summary>
public sealed record ConnectionRecord(DateTimeOffset Closed, string Rule, string ClientAddress, long BytesIn, long BytesOut,
    long DurationMs, string Node) : IWireMessage;

/// <summary>Connections relayed since the previous batch, as journals written before traffic history had its own table
/// (docs/architecture.md, "Traffic history") hold them: no longer written, still applied when such a journal is replayed;
/// bandwidth counters roll over by UTC day and month.</summary>
public sealed record TunnelTrafficRecorded(string Id, ImmutableList<ConnectionRecord> Connections, DateTimeOffset At, string By)
    : IDomainEvent
{
    public long Bytes => Connections.Sum(c => c.BytesIn + c.BytesOut);
    public string Describe() => $"tunnel {Id} relayed {Connections.Count} connections";
}
