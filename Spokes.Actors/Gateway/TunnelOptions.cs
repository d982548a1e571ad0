using Spokes.Actors.Configuration;

namespace Spokes.Actors.Gateway;

/// <summary>The tunnel options in force on this node. They start from config.json and may change at run
/// time, so readers take <see cref="Current"/> each time instead of caching it.</summary>
public sealed class TunnelOptionsSource(TunOptionsConfig initial, PortRangeConfig range)
{
    private volatile TunOptionsConfig _current = initial;
    public TunOptionsConfig Current => _current;
    public PortRangeConfig Range { get; } = range;

    /// <summary>After a replacement that changed something (the session manager tells agents the monitor's settings).</summary>
    public event Action<TunOptionsConfig>? Changed;

    public void Replace(TunOptionsConfig options)
    {
        if (options == _current) return;
        _current = options;
        Changed?.Invoke(options);
    }
}

/// <summary>The SOCKS entry point in force on this node: config.json's <c>socks</c> until changed at run time
/// (<c>spokes settings socks</c>, the console), then the cluster's value. <see cref="Changed"/> fires after each
/// replacement, so the listeners rebind and the allow-list applies to new connections.</summary>
public sealed class SocksSettingsSource(SocksConfig initial, IReadOnlyDictionary<int, string>? reserved = null)
{
    /// <summary>This node's other listeners, which a SOCKS port may not take.</summary>
    public IReadOnlyDictionary<int, string> Reserved { get; } = reserved ?? new Dictionary<int, string>();

    private volatile SocksConfig _current = initial;
    private volatile SocksAllowList _allow = SocksAllowList.Compile(initial.Allow);

    public SocksConfig Current => _current;

    public SocksAllowList Allow => _allow;

    public event Action<SocksConfig>? Changed;

    public static SocksSettingsSource For(SpokesConfig config)
    {
        var reserved = new Dictionary<int, string>
        {
            [ConfigLoader.ParseEndpoint("listen.http", config.Listen.Http).Port] = "listen.http",
            [ConfigLoader.ParseEndpoint("listen.https", config.Listen.Https).Port] = "listen.https",
            [config.Cluster.Port] = "cluster.port",
        };
        return new SocksSettingsSource(config.Socks, reserved);
    }

    /// <summary>True when this node listens on <paramref name="port"/> itself: config.json's listeners, the SOCKS ports in
    /// force, the leased range.</summary>
    public bool IsOwnPort(int port, PortRangeConfig range)
    {
        var now = _current;
        return Reserved.ContainsKey(port) || port == now.Port || port == now.TlsPort || port >= range.Begin && port <= range.End;
    }

    /// <summary>Why <paramref name="port"/> cannot be a SOCKS port on this node, or null.</summary>
    public string? Conflict(int port, PortRangeConfig range) =>
        port == 0 ? null
        : Reserved.TryGetValue(port, out var key) ? $"port {port} is this node's {key}"
        : port >= range.Begin && port <= range.End ? $"port {port} is in the leased port range ({range.Begin}-{range.End})"
        : null;

    public static bool Same(SocksConfig a, SocksConfig b) => a.Port == b.Port && a.TlsPort == b.TlsPort && a.Allow.SequenceEqual(b.Allow);

    /// <summary>Applies <paramref name="next"/>; false when it is what is in force already.</summary>
    public bool Replace(SocksConfig next)
    {
        if (Same(next, _current)) return false;
        _allow = SocksAllowList.Compile(next.Allow);
        _current = next;
        Changed?.Invoke(next);
        return true;
    }
}

/// <summary>
/// <c>tunOptions.autoHostnames</c>: while on, every tunnel is also reachable as <c>&lt;label&gt;.&lt;domain&gt;</c>, the
/// label derived from its id under the cluster's key (<see cref="Security.SecretBox.Label"/>): stable across nodes
/// and restarts, unguessable without the cluster certificate, never stored. The name routes to the tunnel's first
/// HTTP rule (docs/architecture.md, "Automatic hostnames").
/// </summary>
public sealed class AutoHostnames
{
    private readonly Security.SecretBox _secrets;
    private readonly TunnelOptionsSource _options;
    private readonly DomainSource _domain;
    private bool _enabled;

    public AutoHostnames(Security.SecretBox secrets, TunnelOptionsSource options, DomainSource domain)
    {
        (_secrets, _options, _domain) = (secrets, options, domain);
        domain.Changed += _ => Changed?.Invoke();
        _enabled = options.Current.AutoHostnames;
        options.Changed += next =>
        {
            if (next.AutoHostnames == Volatile.Read(ref _enabled)) return;
            Volatile.Write(ref _enabled, next.AutoHostnames);
            Changed?.Invoke();
        };
    }

    public bool Enabled => _options.Current.AutoHostnames;

    /// <summary>Raised when the option is turned on or off, or the domain changed (route tables are rebuilt).</summary>
    public event Action? Changed;

    /// <summary>The tunnel's automatic hostname, whether the option is on or not.</summary>
    public string NameFor(string tunnelId) => $"{_secrets.Label("auto-hostname", tunnelId)}.{_domain.Current}";

    /// <summary>The tunnel's automatic hostname while the option is on, else null.</summary>
    public string? For(string tunnelId) => Enabled ? NameFor(tunnelId) : null;
}
