namespace Spokes.Actors.Gateway;

/// <summary>
/// The server's domain in force on this node: config.json's at start, then the one set at run time
/// (<c>spokes settings domain</c>). One writer per node — the edge's TLS watcher, which switches the certificate in the
/// same step — and any number of readers (routers, SOCKS, automatic hostnames, the console).
/// </summary>
public sealed class DomainSource(string initial)
{
    private volatile Snapshot _now = new(initial.ToLowerInvariant(), []);

    public string Current => _now.Domain;

    /// <summary>Domains the cluster had before (newest first): an agent that still dials one is still an agent.</summary>
    public IReadOnlyList<string> Former => _now.Former;

    /// <summary>Raised after the domain changed, with the new one.</summary>
    public event Action<string>? Changed;

    /// <summary>True when <paramref name="name"/> is the domain now or was one before.</summary>
    public bool IsCurrentOrFormer(string name)
    {
        var now = _now;
        return string.Equals(name, now.Domain, StringComparison.OrdinalIgnoreCase)
               || now.Former.Any(f => string.Equals(name, f, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Puts <paramref name="domain"/> in force; false (and nothing raised) when it already is.</summary>
    public bool Replace(string domain, IReadOnlyList<string> former)
    {
        var before = _now;
        _now = new Snapshot(domain.ToLowerInvariant(), former);
        if (string.Equals(before.Domain, _now.Domain, StringComparison.Ordinal)) return false;
        Changed?.Invoke(_now.Domain);
        return true;
    }

    private sealed record Snapshot(string Domain, IReadOnlyList<string> Former);
}
