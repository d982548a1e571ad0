using System.Net;
using Spokes.Actors.Configuration;

namespace Spokes.Edge.Relay;

/// <summary><c>limits.exempt</c>: networks that per-address limits do not count — a balancer in front of the nodes,
/// whose address every visitor and agent behind it appears to have.</summary>
public sealed class ExemptNetworks(LimitsConfig limits)
{
    private readonly IPNetwork[] _networks =
        [.. limits.Exempt.Select(e => IPNetwork.Parse(e.Contains('/') ? e : e + (e.Contains(':') ? "/128" : "/32")))];

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in _networks)
            if (network.Contains(address)) return true;
        return false;
    }
}
