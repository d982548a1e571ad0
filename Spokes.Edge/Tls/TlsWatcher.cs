using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Spokes.Actors.Gateway;
using Spokes.Actors.Settings;

namespace Spokes.Edge.Tls;

/// <summary>One per node, beside <see cref="SettingsWatcher"/>: reads the domain and TLS choice at start and follows their
/// changes (pub-sub <see cref="SettingsChanged.Topic"/>), putting the domain in <see cref="DomainSource"/> and handing
/// both to the <see cref="TlsApplier"/>, and the cluster's
/// stored ACME certificate to the <see cref="Acme.AcmeCertificateBoard"/> (the node's renewer serves a new one).</summary>
public sealed class TlsWatcher : ReceiveActor, IWithTimers
{
    private readonly TlsApplier _applier;
    private readonly IActorRef _settings;
    private readonly Acme.AcmeCertificateBoard _acme;
    private readonly DomainSource _domains;
    private readonly string _configuredDomain;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private static readonly TimeSpan RetryFailedApply = TimeSpan.FromMinutes(5);

    public ITimerScheduler Timers { get; set; } = null!;

    public TlsWatcher(TlsApplier applier, IActorRef settings, Acme.AcmeCertificateBoard acme, DomainSource domains, string configuredDomain)
    {
        (_domains, _configuredDomain) = (domains, configuredDomain);
        _applier = applier;
        _settings = settings;
        _acme = acme;
        Receive<SettingsReply>(r => Apply(r.Settings));
        Receive<SettingsChanged>(c => Apply(c.Settings));
        Receive<Status.Failure>(_ => Timers.StartSingleTimer("retry", Retry.Instance, TimeSpan.FromSeconds(2)));
        Receive<Retry>(_ => Load());
        Receive<SubscribeAck>(_ => { });
    }

    public static Props Props(TlsApplier applier, IActorRef settings, Acme.AcmeCertificateBoard acme, DomainSource domains,
        string configuredDomain) =>
        Akka.Actor.Props.Create(() => new TlsWatcher(applier, settings, acme, domains, configuredDomain));

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(SettingsChanged.Topic, Self));
        Load();
    }

    private void Load() =>
        _settings.Ask<SettingsReply>(new GetSettings(SettingsIds.Server), TimeSpan.FromSeconds(10)).PipeTo(Self);

    /// <summary>The domain first (routers, ACME challenges and agents' hellos take the new name at once), then the
    /// certificate for it; this actor is the node's one writer of both.</summary>
    private void Apply(SettingsState s)
    {
        var domain = s.Domain ?? _configuredDomain;
        if (_domains.Replace(domain, s.FormerDomains)) _log.Info("domain now {0}", domain);
        _acme.Observe(s.AcmeCertificate);
        if (_applier.Apply(s.Tls, domain) is not { } applied) return;
        if (applied.Ok)
        {
            _log.Info(applied.Line);
            return;
        }
        _log.Warning(applied.Line);
        // Not in force (a certificate file being written by another node, an expired upload): read again later.
        Timers.StartSingleTimer("retry", Retry.Instance, RetryFailedApply);
    }

    private sealed class Retry
    {
        public static readonly Retry Instance = new();
    }
}
