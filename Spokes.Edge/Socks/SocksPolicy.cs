using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Spokes.Actors.Configuration;

namespace Spokes.Edge.Socks;

/// <summary>
/// Whether the SOCKS entry point may connect to an address outside the tunnels — the one decision that keeps it
/// from being an open proxy (docs/architecture.md, "SOCKS5"). An address is reachable only when <c>socks.allow</c>
/// names the host the client asked for (hostname or wildcard) or has a network that contains the address. Special
/// addresses — loopback, link-local (the cloud metadata address 169.254.169.254 is one), private and shared
/// ranges, multicast, reserved — need more: a network in the list that contains the address and is no wider than
/// the special range itself (<c>10.1.0.0/16</c> opens part of 10/8; <c>0.0.0.0/0</c> opens no special address).
/// The node's own listeners (HTTP, HTTPS, SOCKS, cluster port, leased ports) are never reachable this way: they are
/// reached by name, as a visitor. The address checked is the address connected to: a hostname is resolved once by
/// the caller, never again (DNS rebinding).
/// </summary>
public static class SocksPolicy
{
    private static readonly (IPNetwork Range, string Name)[] Special =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "a 'this network' address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (cloud metadata lives there)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "the unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("64:ff9b::/96"), "a NAT64 address"),
        (IPNetwork.Parse("fc00::/7"), "a unique-local (private) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    /// <summary>Null when <paramref name="address"/>:<paramref name="port"/> may be reached for a client that asked for
    /// <paramref name="host"/> (null: it gave an address), else why not.</summary>
    public static string? Refusal(string? host, IPAddress address, int port, SocksAllowList allow, OwnListeners own)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (own.Covers(address, port)) return $"{address}:{port} is one of this node's own listeners";
        var named = host is not null && allow.NamesHost(host);
        var networks = allow.Networks.Where(n => n.Contains(address)).ToList();
        if (!named && networks.Count == 0) return $"{host ?? address.ToString()} is not in socks.allow";
        if (SpecialRange(address) is { } special && !networks.Any(n => n.PrefixLength >= special.Range.PrefixLength))
            return $"{address} is {special.Name}; only a socks.allow network inside {special.Range} opens it";
        return null;
    }

    /// <summary>The special range <paramref name="address"/> is in, if any.</summary>
    public static (IPNetwork Range, string Name)? SpecialRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var entry in Special)
            if (entry.Range.Contains(address)) return entry;
        return null;
    }
}

/// <summary>The node's own listening ports and the addresses that reach them (loopback, the unspecified address, and
/// every address of this machine's interfaces).</summary>
public sealed class OwnListeners(IReadOnlySet<IPAddress> addresses, Func<int, bool> isOwnPort)
{
    public static OwnListeners OfThisMachine(Func<int, bool> isOwnPort)
    {
        var addresses = new HashSet<IPAddress> { IPAddress.Any, IPAddress.IPv6Any };
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                addresses.Add(unicast.Address.IsIPv4MappedToIPv6 ? unicast.Address.MapToIPv4() : unicast.Address);
        }
        catch (NetworkInformationException)
        {
            // Loopback below still covers the common case.
        }
        return new OwnListeners(addresses, isOwnPort);
    }

    public bool Covers(IPAddress address, int port) =>
        isOwnPort(port) && (IPAddress.IsLoopback(address) || addresses.Contains(address));
}
