using Spokes.Actors.Entities;

namespace Spokes.Actors.Ports;

public interface IPortLeaseMessage : IEntityMessage;

public static class PortIds
{
    public static string For(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record LeasePort(string EntityId, string TunnelId, string By) : IPortLeaseMessage;
public sealed record SetPortDestination(string EntityId, string TunnelId, string Host, int DestinationPort, string By) : IPortLeaseMessage;
public sealed record ResetPortDestination(string EntityId, string TunnelId, string By) : IPortLeaseMessage;
/// <summary>Frees the port. A null tunnel id releases whatever holds it (house-keeping).</summary>
public sealed record ReleasePort(string EntityId, string? TunnelId, string By) : IPortLeaseMessage;
public sealed record GetPortLease(string EntityId) : IPortLeaseMessage;

public sealed record PortLeaseReply(PortLeaseState Lease) : IWireMessage;

public sealed record PortLeased(int Port, string TunnelId, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"port {Port} leased to tunnel {TunnelId}";
}
public sealed record PortDestinationSet(int Port, string Host, int DestinationPort, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"port {Port} forwards to {Host}:{DestinationPort}";
}
public sealed record PortDestinationReset(int Port, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"port {Port} destination reset";
}
public sealed record PortReleased(int Port, string TunnelId, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"port {Port} released by tunnel {TunnelId}";
}

/// <summary>One TCP port of the range. Free ⇄ Leased(tunnel); only the holder may change or release it,
/// so a port is never leased twice.</summary>
public sealed record PortLeaseState : IWireMessage
{
    public static readonly PortLeaseState Empty = new();
    public int Port { get; init; }
    public string? TunnelId { get; init; }
    public string? DestinationHost { get; init; }
    public int? DestinationPort { get; init; }
    public DateTimeOffset LeasedAt { get; init; }
    public bool Leased => TunnelId is not null;

    public Decision Decide(IPortLeaseMessage command, DateTimeOffset now) => command switch
    {
        GetPortLease => Decision.Answer(),
        LeasePort l when TunnelId == l.TunnelId => Decision.Answer(),
        LeasePort when Leased => Decision.Refuse(ErrorCode.Conflict, $"port {command.EntityId} is already used"),
        LeasePort l => Decision.Persist(new PortLeased(ParsePort(l.EntityId), l.TunnelId, now, l.By)),
        ReleasePort r when !Leased || (r.TunnelId is not null && r.TunnelId != TunnelId) => Decision.Answer(),
        ReleasePort r => Decision.Persist(new PortReleased(Port, TunnelId!, now, r.By)),
        SetPortDestination s when s.TunnelId != TunnelId => NotHeld(command.EntityId),
        SetPortDestination s => Decision.Persist(new PortDestinationSet(Port, s.Host, s.DestinationPort, now, s.By)),
        ResetPortDestination r when r.TunnelId != TunnelId => NotHeld(command.EntityId),
        ResetPortDestination r => Decision.Persist(new PortDestinationReset(Port, now, r.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    private static Decision NotHeld(string port) => Decision.Refuse(ErrorCode.NotFound, $"port {port} is not leased to this tunnel");

    private static int ParsePort(string id) => int.Parse(id, System.Globalization.CultureInfo.InvariantCulture);

    public PortLeaseState Apply(IDomainEvent e) => e switch
    {
        PortLeased l => new PortLeaseState { Port = l.Port, TunnelId = l.TunnelId, LeasedAt = l.At },
        PortDestinationSet d => this with { DestinationHost = d.Host, DestinationPort = d.DestinationPort },
        PortDestinationReset => this with { DestinationHost = null, DestinationPort = null },
        PortReleased r => new PortLeaseState { Port = r.Port },
        _ => this,
    };
}
