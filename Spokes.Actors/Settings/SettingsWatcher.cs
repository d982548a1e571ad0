using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;

namespace Spokes.Actors.Settings;

/// <summary>One per node: reads the run-time settings at start and follows their changes, applying them to
/// the node's <see cref="TunnelOptionsSource"/> and <see cref="SocksSettingsSource"/>.</summary>
public sealed class SettingsWatcher : ReceiveActor, IWithTimers
{
    private readonly TunnelOptionsSource _options;
    private readonly TunOptionsConfig _configured;
    private readonly SocksSettingsSource _socks;
    private readonly SocksConfig _configuredSocks;
    private readonly IActorRef _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ITimerScheduler Timers { get; set; } = null!;

    public SettingsWatcher(TunnelOptionsSource options, SocksSettingsSource socks, IActorRef settings)
    {
        _options = options;
        _configured = options.Current;
        _socks = socks;
        _configuredSocks = socks.Current;
        _settings = settings;
        Receive<SettingsReply>(r => Apply(r.Settings));
        Receive<SettingsChanged>(c => Apply(c.Settings));
        Receive<Status.Failure>(_ => Timers.StartSingleTimer("retry", Retry.Instance, TimeSpan.FromSeconds(2)));
        Receive<Retry>(_ => Load());
        Receive<SubscribeAck>(_ => { });
    }

    public static Props Props(TunnelOptionsSource options, SocksSettingsSource socks, IActorRef settings) =>
        Akka.Actor.Props.Create(() => new SettingsWatcher(options, socks, settings));

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(SettingsChanged.Topic, Self));
        Load();
    }

    private void Load() =>
        _settings.Ask<SettingsReply>(new GetSettings(SettingsIds.Server), TimeSpan.FromSeconds(10)).PipeTo(Self);

    private void Apply(SettingsState s)
    {
        var socks = s.Socks ?? _configuredSocks;
        if (_socks.Replace(socks))
            _log.Info("SOCKS now port {0}, TLS port {1}, {2} allow entries", socks.Port, socks.TlsPort, socks.Allow.Length);
        var next = _configured with
        {
            MaxPoolSize = s.MaxPoolSize ?? _configured.MaxPoolSize,
            MaxPorts = s.MaxPorts ?? _configured.MaxPorts,
            AutoHostnames = s.AutoHostnames ?? _configured.AutoHostnames,
            Monitor = new MonitorConfig
            {
                Enabled = s.Monitor ?? _configured.Monitor.Enabled,
                IntervalSeconds = s.MonitorIntervalSeconds ?? _configured.Monitor.IntervalSeconds,
            },
        };
        if (next == _options.Current) return;
        _options.Replace(next);
        _log.Info("tunnel options now maxPoolSize {0}, maxPorts {1}, monitor {2} every {3} s", next.MaxPoolSize, next.MaxPorts,
            next.Monitor.Enabled ? "on" : "off", next.Monitor.IntervalSeconds);
    }

    private sealed class Retry
    {
        public static readonly Retry Instance = new();
    }
}
