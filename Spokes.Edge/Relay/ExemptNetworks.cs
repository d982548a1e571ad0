using System.Net;
using Spokes.Actors.Configuration;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Relay;

/// <summary><c>limits.exempt</c>: networks that per-address limits do not count — a balancer in front of the nodes,
/// whose address every visitor and agent behind it appears to have. Compiled like a rule's allow list.</summary>
public sealed class ExemptNetworks(LimitsConfig limits)
{
    private readonly NetworkFilter? _networks = NetworkFilter.From(Canonical(limits.Exempt), null);

    // Config validation accepted the entries; in canonical form a bare address is one host.
    private static IReadOnlyList<string> Canonical(string[] entries) =>
        Firewall.Canonical(entries, out var networks) is null ? networks : entries;

    public bool Contains(IPAddress address) => _networks?.Admits(address) == true;
}
