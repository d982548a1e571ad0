using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Security;

namespace Spokes.Edge.Relay;

/// <summary>
/// How many connections one visitor address holds on this node, per tunnel and in all: a visitor beyond
/// <c>limits.connectionsPerAddressPerTunnel</c> or <c>limits.connectionsPerAddress</c> is closed before a stream is
/// opened, so one address cannot fill a tunnel's streams and shut out everyone else. Counters exist only while
/// connections are open (state bounded by the open connections); refusals are logged once per 10 s with a count.
/// Addresses in <c>limits.exempt</c> (a balancer in front of the nodes) are not counted.
/// </summary>
public sealed class VisitorAdmission(LimitsConfig limits, ExemptNetworks exempt, BandwidthCaps caps, ILogger<VisitorAdmission> log)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly ConcurrentDictionary<(string Tunnel, IPAddress Address), int> _perTunnel = new();
    private readonly RefusalTally _refusals = RefusalTally.Every10Seconds();

    /// <summary>A ticket for one connection of <paramref name="visitor"/> to <paramref name="tunnelId"/> (dispose it
    /// when the connection ends), or null when the address holds its limit.</summary>
    public IDisposable? TryAdmit(string tunnelId, IPAddress? visitor)
    {
        if (caps.IsCapped(tunnelId))
        {
            if (_refusals.Note(out var more))
                log.LogWarning("visitor {Address} refused for tunnel {Tunnel}: its user's monthly bandwidth cap is reached{More}", visitor, tunnelId, more);
            return null;
        }
        if (visitor is null) return Ticket.None;
        if (visitor.IsIPv4MappedToIPv6) visitor = visitor.MapToIPv4();
        if (exempt.Contains(visitor)) return Ticket.None;
        if (!OpenCounts.Enter(_perAddress, visitor, limits.ConnectionsPerAddress))
        {
            Refused(visitor, tunnelId, $"{limits.ConnectionsPerAddress} connections on this node");
            return null;
        }
        var key = (tunnelId, visitor);
        if (!OpenCounts.Enter(_perTunnel, key, limits.ConnectionsPerAddressPerTunnel))
        {
            OpenCounts.Leave(_perAddress, visitor);
            Refused(visitor, tunnelId, $"{limits.ConnectionsPerAddressPerTunnel} connections to this tunnel");
            return null;
        }
        return new Ticket(this, key);
    }

    /// <summary>Open connections of <paramref name="visitor"/> on this node (for tests and diagnostics).</summary>
    internal int OpenFrom(IPAddress visitor) => _perAddress.TryGetValue(visitor, out var n) ? n : 0;

    internal int TrackedEntries => _perAddress.Count + _perTunnel.Count;

    private void Refused(IPAddress visitor, string tunnelId, string limit)
    {
        if (_refusals.Note(out var more))
            log.LogWarning("visitor {Address} refused for tunnel {Tunnel}: it already holds {Limit}{More}", visitor, tunnelId, limit, more);
    }

    private sealed class Ticket(VisitorAdmission? owner, (string Tunnel, IPAddress Address) key) : IDisposable
    {
        public static readonly IDisposable None = new Ticket(null, default);
        private int _disposed;

        public void Dispose()
        {
            if (owner is null || Interlocked.Exchange(ref _disposed, 1) == 1) return;
            OpenCounts.Leave(owner._perTunnel, key);
            OpenCounts.Leave(owner._perAddress, key.Address);
        }
    }
}
