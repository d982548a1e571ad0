using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Ports;
using Spokes.Actors.Tunnels;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Sessions;

/// <summary>
/// A connected agent, on the node holding its control connection.
/// <code>
/// Loading (read the tunnel, stash requests) → Active (decide the agent's rule requests, publish presence)
///   → stopped on LinkClosed / EndSession (presence removed, link closed)
/// </code>
/// It decides; the <see cref="TunnelLink"/> moves bytes. Rule requests are decided one at a time.
/// </summary>
public sealed class TunnelSessionActor : ReceiveActor, IWithStash
{
    private readonly TunnelLink _link;
    private readonly SessionContext _ctx;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, HttpRule> _http = new(StringComparer.OrdinalIgnoreCase);
    private ImmutableSortedSet<int> _ports = [];
    private readonly DateTimeOffset _since;

    public IStash Stash { get; set; } = null!;

    public TunnelSessionActor(TunnelLink link, SessionContext ctx)
    {
        _link = link;
        _ctx = ctx;
        _since = ctx.Time.GetUtcNow();
        Receive<TunnelReply>(t =>
        {
            _ports = t.Tunnel.Ports;
            Publish();
            Become(Active);
            Stash.UnstashAll();
            ControlLoop.Start(_link, Self);
        });
        Receive<Status.Failure>(f =>
        {
            _log.Warning("session of tunnel {0} could not load the tunnel: {1}", _link.TunnelId, f.Cause.Message);
            Context.Stop(Self);
        });
        Receive<LinkClosed>(_ => Context.Stop(Self));
        Receive<EndSession>(e => End(e.ShutdownReason));
        ReceiveAny(_ => Stash.Stash());
    }

    public static Props Props(TunnelLink link, SessionContext ctx) => Akka.Actor.Props.Create(() => new TunnelSessionActor(link, ctx));

    protected override void PreStart()
    {
        _ctx.Links.Add(_link);
        _ctx.Regions.Tunnels.Tell(new RecordSessionStart(_link.TunnelId, _link.ClientAddress, "agent"), ActorRefs.NoSender);
        _ctx.Regions.Tunnels.Ask<TunnelReply>(new GetTunnel(_link.TunnelId), TimeSpan.FromSeconds(15)).PipeTo(Self);
        _log.Info("tunnel {0} online from {1} (session {2})", _link.TunnelId, _link.ClientAddress, _link.SessionId);
    }

    protected override void PostStop()
    {
        _ctx.Links.Remove(_link);
        _ctx.Presence.Tell(new RemovePresence(_link.TunnelId, _link.SessionId));
        _ = _link.CloseAsync(null);
        _log.Info("tunnel {0} offline (session {1})", _link.TunnelId, _link.SessionId);
    }

    private void Active()
    {
        ReceiveAsync<AgentRequest>(async r =>
        {
            var sender = Sender;
            ControlOutcome outcome;
            try
            {
                outcome = await DecideAsync(r.Request);
            }
            catch (Exception ex)
            {
                _log.Warning("tunnel {0}: {1} failed: {2}", _link.TunnelId, r.Request.GetType().Name, ex.Message);
                outcome = ControlOutcome.Failed("the server could not apply the request; try again");
            }
            sender.Tell(outcome);
        });
        ReceiveAsync<PushRule>(async p =>
        {
            var sender = Sender;
            IWireMessage reply;
            try
            {
                reply = await PushAsync(p.Change);
            }
            catch (Exception ex) when (ex is ControlRequestException or TimeoutException or IOException or OperationCanceledException)
            {
                reply = new Refusal(ErrorCode.Failed, "the agent did not apply the change: " + ex.Message);
            }
            sender.Tell(reply);
        });
        Receive<LinkClosed>(_ => Context.Stop(Self));
        Receive<EndSession>(e => End(e.ShutdownReason));
    }

    private void End(string? reason)
    {
        var self = Self;
        _link.CloseAsync(reason).ContinueWith(_ => self.Tell(PoisonPill.Instance), TaskScheduler.Default);
    }

    private async Task<ControlOutcome> DecideAsync(ControlRequest request) => request switch
    {
        SyncRules s => await SyncAsync(s),
        HttpAdd a => await AddHttpAsync(a.Rule) is { } error ? ControlOutcome.Failed(error) : await CacheAsync(),
        HttpRemove h => await RemoveHttpAsync(h.Domain),
        TcpAllocate => await AllocateAsync(),
        TcpForward f => await ForwardAsync(f),
        TcpReset t => await ResetAsync(t.Port),
        TcpRelease t => await ReleaseAsync(t.Port),
        _ => ControlOutcome.Failed($"{request.GetType().Name} is not something an agent may ask"),
    };

    private async Task<ControlOutcome> SyncAsync(SyncRules sync)
    {
        var results = new List<RuleResult>();
        foreach (var rule in sync.Http)
            results.Add(await AddHttpAsync(rule) is { } error
                ? new RuleResult("http:" + rule.Domain, false, error)
                : new RuleResult("http:" + rule.Domain, true));
        foreach (var rule in sync.Tcp)
        {
            if (!_ports.Contains(rule.Port))
            {
                results.Add(new RuleResult("tcp:" + rule.Port, false, $"port {rule.Port} is not leased to this tunnel"));
                continue;
            }
            if (rule.Destination is { Length: > 0 } host && rule.DstPort is { } dst)
                await _ctx.Regions.Ports.Ask<IWireMessage>(new SetPortDestination(PortIds.For(rule.Port), _link.TunnelId, host, dst, "agent"),
                    SessionContext.AskTimeout);
            results.Add(new RuleResult("tcp:" + rule.Port, true));
        }
        var cached = await CacheAsync();
        return cached.Ok ? ControlOutcome.Done(results: results) : cached;
    }

    /// <summary>Validates and claims the domain for this tunnel; null when added, else the reason.</summary>
    private async Task<string?> AddHttpAsync(HttpRule rule)
    {
        var domain = rule.Domain.Trim().TrimEnd('.').ToLowerInvariant();
        if (Uri.CheckHostName(domain) != UriHostNameType.Dns || !domain.Contains('.') && domain != "localhost")
            return $"'{rule.Domain}' is not a valid domain name";
        if (domain == _ctx.ServerDomain) return $"{domain} is the server's own domain";
        if (RuleSupport.NotEnforced(rule) is { } notEnforced) return notEnforced;
        if (rule.HttpPort is null && rule.TlsPort is null)
            return "the rule needs --http or --tls";
        var claim = await _ctx.Regions.Catalog.Ask<IWireMessage>(new ClaimDomain(domain, _link.TunnelId), SessionContext.AskTimeout);
        if (claim is Refusal refusal) return refusal.Message;
        _http[domain] = rule with { Domain = domain };
        return null;
    }

    private async Task<ControlOutcome> RemoveHttpAsync(string domain)
    {
        domain = domain.Trim().ToLowerInvariant();
        if (!_http.Remove(domain)) return ControlOutcome.Failed($"no rule for {domain}");
        await _ctx.Regions.Catalog.Ask<IWireMessage>(new ReleaseDomain(domain, _link.TunnelId), SessionContext.AskTimeout);
        return await CacheAsync();
    }

    /// <summary>Persists the rules in the Tunnel entity (shown while offline) and republishes routes.</summary>
    private async Task<ControlOutcome> CacheAsync()
    {
        var infos = _http.Values.OrderBy(r => r.Domain).Select(r => new HttpRuleInfo(r.Domain, r.Destination, r.HttpPort, r.TlsPort,
            r.Webroot, r.Redirect, r.HostHeader, r.Password is not null, r.BasicUser is not null, r.LetsEncrypt, r.CertFile is not null))
            .ToImmutableList();
        var reply = await _ctx.Regions.Tunnels.Ask<IWireMessage>(new CacheHttpRules(_link.TunnelId, infos, "agent"), SessionContext.AskTimeout);
        if (reply is Refusal refusal) return ControlOutcome.Failed(refusal.Message);
        Publish();
        return ControlOutcome.Done();
    }

    private async Task<ControlOutcome> AllocateAsync()
    {
        var reply = await _ctx.Operations.AllocatePortAsync(_link.TunnelId, "agent");
        if (reply is not PortAllocated allocated) return ControlOutcome.Failed((reply as Refusal)?.Message ?? "allocation failed");
        _ports = _ports.Add(allocated.Port);
        Publish();
        return ControlOutcome.Done(port: allocated.Port);
    }

    private async Task<ControlOutcome> ForwardAsync(TcpForward f)
    {
        if (!_ports.Contains(f.Port)) return ControlOutcome.Failed($"port {f.Port} is not leased to this tunnel");
        if (f.DstPort is < 1 or > 65535 || string.IsNullOrWhiteSpace(f.Destination)) return ControlOutcome.Failed("bad destination");
        var reply = await _ctx.Regions.Ports.Ask<IWireMessage>(
            new SetPortDestination(PortIds.For(f.Port), _link.TunnelId, f.Destination.Trim(), f.DstPort, "agent"), SessionContext.AskTimeout);
        return reply is Refusal r ? ControlOutcome.Failed(r.Message) : ControlOutcome.Done();
    }

    private async Task<ControlOutcome> ResetAsync(int port)
    {
        if (!_ports.Contains(port)) return ControlOutcome.Failed($"port {port} is not leased to this tunnel");
        var reply = await _ctx.Regions.Ports.Ask<IWireMessage>(new ResetPortDestination(PortIds.For(port), _link.TunnelId, "agent"),
            SessionContext.AskTimeout);
        return reply is Refusal r ? ControlOutcome.Failed(r.Message) : ControlOutcome.Done();
    }

    private async Task<ControlOutcome> ReleaseAsync(int port)
    {
        if (!_ports.Contains(port)) return ControlOutcome.Failed($"port {port} is not leased to this tunnel");
        var reply = await _ctx.Operations.ReleasePortAsync(_link.TunnelId, port, "agent");
        if (reply is Refusal r) return ControlOutcome.Failed(r.Message);
        _ports = _ports.Remove(port);
        Publish();
        return ControlOutcome.Done();
    }

    /// <summary>Applies an administrator's change the way the agent's own CLI would: the node decides
    /// (claims, leases), the agent applies and saves it, then the node records the result.</summary>
    private async Task<IWireMessage> PushAsync(RuleChange change)
    {
        var timeout = SessionContext.AskTimeout;
        switch (change.Action)
        {
            case RuleAction.HttpAdd:
                var rule = new HttpRule { Domain = change.Domain!, Destination = change.Destination!, HttpPort = change.HttpPort, TlsPort = change.TlsPort };
                var previous = _http.GetValueOrDefault(rule.Domain.Trim().ToLowerInvariant());
                if (await AddHttpAsync(rule) is { } error) return new Refusal(ErrorCode.Invalid, error);
                try
                {
                    await _link.Control.RequestAsync(new HttpAdd { Rule = _http[rule.Domain.Trim().ToLowerInvariant()] }, timeout);
                }
                catch
                {
                    var domain = rule.Domain.Trim().ToLowerInvariant();
                    if (previous is null) _http.Remove(domain);
                    else _http[domain] = previous;
                    if (previous is null)
                        await _ctx.Regions.Catalog.Ask<IWireMessage>(new ReleaseDomain(domain, _link.TunnelId), timeout);
                    throw;
                }
                return Done(await CacheAsync(), $"http rule for {change.Domain} added");
            case RuleAction.HttpRemove:
                var name = change.Domain!.Trim().ToLowerInvariant();
                if (!_http.ContainsKey(name)) return new Refusal(ErrorCode.NotFound, $"no rule for {name}");
                await _link.Control.RequestAsync(new HttpRemove { Domain = name }, timeout);
                return Done(await RemoveHttpAsync(name), $"http rule for {name} removed");
            case RuleAction.TcpAllocate:
                var allocated = await AllocateAsync();
                if (!allocated.Ok) return new Refusal(ErrorCode.Failed, allocated.Error!);
                await _link.Control.RequestAsync(new TcpAllocated { Port = allocated.Port!.Value }, timeout);
                return new AdminDone($"port {allocated.Port} allocated");
            case RuleAction.TcpForward:
                if (!_ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpForward { Port = change.Port.Value, Destination = change.Destination!, DstPort = change.DstPort!.Value }, timeout);
                return Done(await ForwardAsync(new TcpForward { Port = change.Port.Value, Destination = change.Destination!, DstPort = change.DstPort.Value }),
                    $"port {change.Port} forwards to {change.Destination}:{change.DstPort}");
            case RuleAction.TcpReset:
                if (!_ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpReset { Port = change.Port.Value }, timeout);
                return Done(await ResetAsync(change.Port.Value), $"port {change.Port} reset");
            case RuleAction.TcpRelease:
                if (!_ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpRelease { Port = change.Port.Value }, timeout);
                return Done(await ReleaseAsync(change.Port.Value), $"port {change.Port} released");
            default:
                return new Refusal(ErrorCode.Invalid, "unknown rule action");
        }
    }

    private static IWireMessage Done(ControlOutcome outcome, string message) =>
        outcome.Ok ? new AdminDone(message) : new Refusal(ErrorCode.Failed, outcome.Error ?? "refused");

    private void Publish() => _ctx.Presence.Tell(new PutPresence(new SessionPresence(_link.TunnelId, _link.SessionId, _ctx.NodeName,
        _link.ClientAddress, _since, _http.Keys.OrderBy(d => d).ToImmutableList(), _ports.ToImmutableList(), _ctx.RelayEndpoint)));
}
