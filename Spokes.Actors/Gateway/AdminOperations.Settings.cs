using Akka.Hosting;
using Spokes.Actors.Entities;
using Spokes.Actors.Settings;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>The tunnel options in force on this node (config.json plus run-time changes).</summary>
    public Configuration.TunOptionsConfig CurrentTunnelOptions => options.Current;

    /// <summary>The tunnel options of this node, as a source to follow.</summary>
    public TunnelOptionsSource Options => options;

    private async Task<IWireMessage> TunnelOptionsAsync(TunnelOptionsRequest r, string by)
    {
        if (r.MaxPoolSize is not null || r.MaxPorts is not null || r.Monitor is not null || r.MonitorIntervalSeconds is not null
            || r.AutoHostnames is not null)
        {
            var reply = await UpdateTunnelOptionsAsync(r.MaxPoolSize ?? options.Current.MaxPoolSize, r.MaxPorts ?? options.Current.MaxPorts, by,
                r.Monitor, r.MonitorIntervalSeconds, r.AutoHostnames);
            if (reply is Refusal) return reply;
        }
        var now = options.Current;
        return new TunnelOptionsReply(now.MaxPoolSize, now.MaxPorts, now.Monitor.Enabled, now.Monitor.IntervalSeconds, now.AutoHostnames);
    }

    /// <summary>Changes maxPoolSize and maxPorts (and, when given, the upstream monitor's switch and interval) for the
    /// whole cluster, at once and durably.</summary>
    public async Task<IWireMessage> UpdateTunnelOptionsAsync(int maxPoolSize, int maxPorts, string by, bool? monitor = null,
        int? monitorIntervalSeconds = null, bool? autoHostnames = null)
    {
        var settings = ActorRegistry.For(system).Get<SettingsEntity>();
        var reply = await AskAsync(settings, new UpdateTunnelOptions(SettingsIds.Server, maxPoolSize, maxPorts, by, monitor, monitorIntervalSeconds,
            autoHostnames));
        if (reply is SettingsReply { Settings: var applied })
        {
            var current = options.Current;
            options.Replace(current with
            {
                MaxPoolSize = applied.MaxPoolSize ?? maxPoolSize,
                MaxPorts = applied.MaxPorts ?? maxPorts,
                AutoHostnames = applied.AutoHostnames ?? current.AutoHostnames,
                Monitor = new Configuration.MonitorConfig
                {
                    Enabled = applied.Monitor ?? current.Monitor.Enabled,
                    IntervalSeconds = applied.MonitorIntervalSeconds ?? current.Monitor.IntervalSeconds,
                },
            });
        }
        return reply;
    }

    /// <summary>Names tunnels get while <c>tunOptions.autoHostnames</c> is on.</summary>
    public AutoHostnames? AutoNames { get; init; }

    /// <summary>The SOCKS entry point in force on this node (config.json until changed at run time).</summary>
    public SocksSettingsSource Socks { get; init; } = new(new Configuration.SocksConfig());

    private async Task<IWireMessage> SocksSettingsAsync(SocksSettingsRequest r, string by)
    {
        if (r.Port is not null || r.TlsPort is not null || r.Allow is not null)
        {
            var current = Socks.Current;
            var reply = await UpdateSocksAsync(r.Port ?? current.Port, r.TlsPort ?? current.TlsPort, r.Allow ?? current.Allow, by);
            if (reply is Refusal) return reply;
        }
        var now = Socks.Current;
        return new SocksSettingsReply(now.Port, now.TlsPort, now.Allow);
    }

    /// <summary>Changes the SOCKS ports and allow-list for the whole cluster, durably; every node rebinds on the change
    /// (this one at once). Entries are put in canonical form first; ports taken by this node's other listeners or
    /// in the leased range are refused.</summary>
    public async Task<IWireMessage> UpdateSocksAsync(int port, int tlsPort, IEnumerable<string> allow, string by)
    {
        if (Configuration.SocksAllowList.Canonical(allow, out var canonical) is { } bad) return new Refusal(ErrorCode.Invalid, bad);
        if ((Socks.Conflict(port, options.Range) ?? Socks.Conflict(tlsPort, options.Range)) is { } conflict)
            return new Refusal(ErrorCode.Invalid, conflict);
        var settings = ActorRegistry.For(system).Get<SettingsEntity>();
        var reply = await AskAsync(settings, new UpdateSocks(SettingsIds.Server, port, tlsPort, canonical, by));
        if (reply is SettingsReply { Settings.Socks: { } applied }) Socks.Replace(applied);
        return reply;
    }

    /// <summary>The cluster's run-time settings as the settings entity holds them.</summary>
    public Task<IWireMessage> GetSettingsAsync() =>
        AskAsync(ActorRegistry.For(system).Get<SettingsEntity>(), new GetSettings(SettingsIds.Server));

    /// <summary>Persists a TLS choice (validated and sealed by the caller); every node applies it on the change.</summary>
    public Task<IWireMessage> ChooseTlsAsync(ChooseTls command) =>
        AskAsync(ActorRegistry.For(system).Get<SettingsEntity>(), command);
}
