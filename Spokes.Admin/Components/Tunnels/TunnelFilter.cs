namespace Spokes.Admin.Components.Tunnels;

/// <summary>The Tunnels page's filter: by user, online only, and a search in the hostname label, the automatic hostname
/// and every rule's domain (the rules the tunnel last reported).</summary>
public sealed record TunnelFilter(string? User = null, bool OnlineOnly = false, string? Search = null)
{
    public IReadOnlyList<Spokes.Actors.Gateway.TunnelDto> Apply(IEnumerable<Spokes.Actors.Gateway.TunnelDto> tunnels) => tunnels
        .Where(t => string.IsNullOrEmpty(User) || t.User == User)
        .Where(t => !OnlineOnly || t.Online)
        .Where(t => string.IsNullOrWhiteSpace(Search) || Names(t).Any(n => n.Contains(Search.Trim(), StringComparison.OrdinalIgnoreCase)))
        .ToList();

    private static IEnumerable<string> Names(Spokes.Actors.Gateway.TunnelDto t) =>
        [t.Hostname, .. t.AutoHostname is { } auto ? [auto] : Array.Empty<string>(), .. t.Domains ?? []];

    public static IReadOnlyList<string> Users(IEnumerable<Spokes.Actors.Gateway.TunnelDto> tunnels) =>
        tunnels.Select(t => t.User).Where(u => u.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
}
