using Spokes.Actors.Entities;

namespace Spokes.Actors.Domains;

public interface IDomainMessage : IEntityMessage;

public static class DomainIds
{
    /// <summary>The entity of a domain is named by the domain itself (lower case, no trailing dot).</summary>
    public static string For(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();
}

/// <summary>Asks for the domain for a tunnel; answered with <see cref="DomainReply"/> (owned by that tunnel) or a
/// Conflict refusal naming the owner.</summary>
public sealed record ClaimDomain(string EntityId, string TunnelId, string By) : IDomainMessage;

/// <summary>Gives the domain up. A null tunnel id releases whoever holds it (house-keeping).</summary>
public sealed record ReleaseDomain(string EntityId, string? TunnelId, string By) : IDomainMessage;
public sealed record GetDomain(string EntityId) : IDomainMessage;

public sealed record DomainReply(DomainState Domain) : IWireMessage;

public sealed record DomainClaimed(string Domain, string TunnelId, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"domain {Domain} claimed by tunnel {TunnelId}";
}
public sealed record DomainReleased(string Domain, string TunnelId, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"domain {Domain} released by tunnel {TunnelId}";
}

/// <summary>
/// One hostname routed by HTTP/TLS rules: Free ⇄ Owned(tunnel). The entity is the single writer of who owns the
/// name — across nodes, crashes and partitions (sharding runs it once) — so a domain never has two owners.
/// </summary>
public sealed record DomainState : IWireMessage
{
    public static readonly DomainState Empty = new();
    public string Domain { get; init; } = "";
    public string? TunnelId { get; init; }
    public DateTimeOffset Since { get; init; }
    public bool Owned => TunnelId is not null;

    public Decision Decide(IDomainMessage command, DateTimeOffset now) => command switch
    {
        GetDomain => Decision.Answer(),
        ClaimDomain c when TunnelId == c.TunnelId => Decision.Answer(),
        ClaimDomain c when Owned => Decision.Refuse(ErrorCode.Conflict, $"domain {c.EntityId} belongs to another tunnel ({TunnelId})"),
        ClaimDomain c => Decision.Persist(new DomainClaimed(c.EntityId, c.TunnelId, now, c.By)),
        ReleaseDomain r when !Owned || r.TunnelId is not null && r.TunnelId != TunnelId => Decision.Answer(),
        ReleaseDomain r => Decision.Persist(new DomainReleased(r.EntityId, TunnelId!, now, r.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public DomainState Apply(IDomainEvent e) => e switch
    {
        DomainClaimed c => new DomainState { Domain = c.Domain, TunnelId = c.TunnelId, Since = c.At },
        DomainReleased r => new DomainState { Domain = r.Domain },
        _ => this,
    };
}
