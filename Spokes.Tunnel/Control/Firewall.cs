using System.Net;
using System.Net.Sockets;

namespace Spokes.Tunnel.Control;

/// <summary>
/// The allow and drop lists of a rule (<c>spokes-agent http|tcp firewall</c>): networks in CIDR form, kept in their
/// canonical text (<c>10.0.0.0/8</c>, <c>192.0.2.7/32</c>, <c>2001:db8::/32</c>). A visitor in a dropped network is
/// refused; when the allow list has entries, a visitor outside all of them is refused too. Enforced by the node
/// before a byte reaches the agent (docs/architecture.md, "Firewall per rule").
/// </summary>
public static class Firewall
{
    /// <summary>Entries per list; a rule is one service, not a country's routing table.</summary>
    public const int MaxEntries = 64;

    /// <summary>Reads one network: <c>ADDR/LEN</c>, or a bare address (one host). Null with the reason when bad.</summary>
    public static string? TryNormalize(string text, out string network)
    {
        network = "";
        text = text.Trim();
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%'))
        {
            return $"'{text}' is not a network (use CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32)";
        }

        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out length) || length > bits))
        {
            return $"'{text}' has a bad prefix length (0-{bits})";
        }

        var masked = Mask(address, length);
        if (!masked.Equals(address))
        {
            return $"'{text}' has bits set after its /{length} prefix; did you mean {masked}/{length}?";
        }

        network = $"{masked}/{length}";
        return null;
    }

    /// <summary>Entries typed by an operator in canonical form (a bare address is one host), duplicates dropped; null
    /// when all are good, else the first one's problem.</summary>
    public static string? Canonical(IEnumerable<string> entries, out IReadOnlyList<string> networks)
    {
        var list = new List<string>();
        networks = list;
        foreach (var entry in entries)
        {
            if (TryNormalize(entry, out var network) is { } bad) return bad;
            if (!list.Contains(network)) list.Add(network);
        }

        return null;
    }

    /// <summary>Checks both lists: sizes, each entry, and that no network is in both. Null when they are good.</summary>
    public static string? Validate(IReadOnlyList<string>? allow, IReadOnlyList<string>? drop)
    {
        foreach (var (name, list) in new[] { ("allow", allow), ("drop", drop) })
        {
            if (list is null) continue;
            if (list.Count > MaxEntries) return $"the {name} list has {list.Count} networks; at most {MaxEntries}";
            foreach (var entry in list)
            {
                if (TryNormalize(entry, out var normal) is { } bad) return bad;
                if (normal != entry) return $"'{entry}' is not in canonical form ({normal})";
            }
        }

        return allow is not null && drop is not null && allow.Intersect(drop).FirstOrDefault() is { } both
            ? $"{both} is in both the allow and the drop list"
            : null;
    }

    /// <summary>True when the rule has any list.</summary>
    public static bool Any(IReadOnlyList<string>? allow, IReadOnlyList<string>? drop) => allow is { Count: > 0 } || drop is { Count: > 0 };

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}

/// <summary>A rule's lists compiled for matching visitors (built once per route table, read lock-free).</summary>
public sealed class NetworkFilter
{
    private readonly IPNetwork[] _allow;
    private readonly IPNetwork[] _drop;

    private NetworkFilter(IPNetwork[] allow, IPNetwork[] drop)
    {
        _allow = allow;
        _drop = drop;
    }

    /// <summary>Compiles validated lists; null when both are empty. Should an entry not parse (validation keeps
    /// that from happening) the filter refuses everyone: it fails closed.</summary>
    public static NetworkFilter? From(IEnumerable<string>? allow, IEnumerable<string>? drop)
    {
        var a = Parse(allow, out var badAllow);
        var d = Parse(drop, out var badDrop);
        if (a.Length == 0 && d.Length == 0 && !badAllow && !badDrop) return null;
        // A list that did not parse whole must not widen access: refuse everyone.
        return badAllow || badDrop ? new NetworkFilter([], [new IPNetwork(IPAddress.Any, 0), new IPNetwork(IPAddress.IPv6Any, 0)])
            : new NetworkFilter(a, d);
    }

    public bool Admits(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in _drop)
        {
            if (network.Contains(address)) return false;
        }

        if (_allow.Length == 0) return true;
        foreach (var network in _allow)
        {
            if (network.Contains(address)) return true;
        }

        return false;
    }

    private static IPNetwork[] Parse(IEnumerable<string>? list, out bool bad)
    {
        bad = false;
        if (list is null) return [];
        var parsed = new List<IPNetwork>();
        foreach (var entry in list)
        {
            if (IPNetwork.TryParse(entry, out var network)) parsed.Add(network);
            else bad = true;
        }

        return [.. parsed];
    }
}
