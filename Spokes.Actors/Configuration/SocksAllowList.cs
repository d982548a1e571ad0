using System.Net;
using Spokes.Tunnel.Control;

namespace Spokes.Actors.Configuration;

/// <summary>
/// <c>socks.allow</c>: the destinations outside the tunnels that the SOCKS entry point may reach. Each entry is a
/// network in CIDR form (a bare address is one host), a hostname (<c>db.internal</c>), or a wildcard hostname
/// (<c>*.corp.example</c>: any name under it, not the name itself). Kept in canonical text: networks as
/// <see cref="Firewall.TryNormalize"/> writes them, names in lower case. The decision itself is in
/// <c>Spokes.Edge.Socks.SocksPolicy</c> (docs/architecture.md, "SOCKS5").
/// </summary>
public sealed class SocksAllowList
{
    public const int MaxEntries = 256;

    public static readonly SocksAllowList Empty = new([], [], []);

    private SocksAllowList(IPNetwork[] networks, string[] names, string[] suffixes)
    {
        Networks = networks;
        Names = names;
        Suffixes = suffixes;
    }

    public IReadOnlyList<IPNetwork> Networks { get; }

    /// <summary>Exact hostnames, lower case.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Wildcards as their suffix with the leading dot (<c>.corp.example</c>).</summary>
    public IReadOnlyList<string> Suffixes { get; }

    /// <summary>True when <paramref name="host"/> is named by an entry (exactly, or under a wildcard).</summary>
    public bool NamesHost(string host)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        return Names.Contains(host) || Suffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal) && host.Length > s.Length);
    }

    /// <summary>The canonical form of the entries, duplicates dropped; null when all are good, else the first
    /// one's problem.</summary>
    public static string? Canonical(IEnumerable<string> entries, out string[] canonical)
    {
        var list = new List<string>();
        canonical = [];
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            if (Normalize(entry, out var normal) is { } problem) return problem;
            if (!list.Contains(normal)) list.Add(normal);
        }
        if (list.Count > MaxEntries) return $"socks.allow has {list.Count} entries; at most {MaxEntries}";
        canonical = [.. list];
        return null;
    }

    /// <summary>Compiles canonical entries (as <see cref="Canonical"/> returns them); bad ones are skipped.</summary>
    public static SocksAllowList Compile(IEnumerable<string> entries)
    {
        var networks = new List<IPNetwork>();
        var names = new List<string>();
        var suffixes = new List<string>();
        foreach (var entry in entries)
        {
            if (Normalize(entry, out var normal) is not null) continue;
            if (IPNetwork.TryParse(normal, out var network)) networks.Add(network);
            else if (normal.StartsWith("*.", StringComparison.Ordinal)) suffixes.Add(normal[1..]);
            else names.Add(normal);
        }
        return new SocksAllowList([.. networks], [.. names], [.. suffixes]);
    }

    private static string? Normalize(string entry, out string normal)
    {
        normal = "";
        if (entry.Length > 253) return $"socks.allow entry '{entry[..32]}…' is longer than a hostname can be";
        if (LooksLikeNetwork(entry)) return Firewall.TryNormalize(entry, out normal) is { } bad ? "socks.allow: " + bad : null;
        var name = entry.TrimEnd('.').ToLowerInvariant();
        var bare = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
        if (bare.Length == 0 || Uri.CheckHostName(bare) != UriHostNameType.Dns || bare.Contains('*'))
            return $"socks.allow entry '{entry}' is neither a network (CIDR) nor a hostname (name, or *.name)";
        normal = name;
        return null;
    }

    private static bool LooksLikeNetwork(string entry) =>
        entry.Contains(':') || entry.Contains('/') || IPAddress.TryParse(entry, out _);
}
