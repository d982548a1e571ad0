using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Domains;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Ports;
using Spokes.Actors.Security;
using Spokes.Actors.Tunnels;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Security;

namespace Spokes.Edge.Sessions;

/// <summary>
/// One link of a connected agent's session: the agent's connections to this node. A session has a link on every
/// node the agent holds a connection to; the agent sends its rule requests on one of them (the primary, made so
/// by <c>syncRules</c>), and that link alone decides and writes the tunnel's routes.
/// <code>
/// Active (publish the link; decide the agent's rule requests when primary; relay nodes and drain to the agent)
///   → stopped on LinkClosed / EndSession (link removed from presence, connections closed)
/// </code>
/// It decides; the <see cref="TunnelLink"/> moves bytes. Rule requests are decided one at a time, each
/// within <see cref="SessionContext.RequestDeadline"/> (all its steps together).
/// </summary>
public sealed class TunnelSessionActor : ReceiveActor
{
    /// <summary>Refuses every visitor: what a port gets when the lists its agent sent are not valid.</summary>
    private static readonly FirewallInfo ClosedToAll = new("", "0.0.0.0/0,::/0");

    private readonly TunnelLink _link;
    private readonly SessionContext _ctx;
    private readonly bool _newSession;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, HttpRule> _http = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<int, FirewallInfo> _tcpFirewalls = [];
    private readonly DateTimeOffset _since;
    private ImmutableSortedSet<int>? _ports;
    private DateTimeOffset _primarySince = DateTimeOffset.MinValue;

    public TunnelSessionActor(TunnelLink link, SessionContext ctx, bool newSession)
    {
        _link = link;
        _ctx = ctx;
        _newSession = newSession;
        _since = ctx.Time.GetUtcNow();
        ReceiveAsync<AgentRequest>(async r =>
        {
            var sender = Sender;
            ControlOutcome outcome;
            // The mailbox waits behind this request: all its steps together get one deadline (CallDeadline).
            using var call = CallDeadline.Begin(_ctx.RequestDeadline);
            try
            {
                outcome = await DecideAsync(r.Request);
            }
            catch (RefusedException refused)
            {
                outcome = ControlOutcome.Failed(refused.Message);
            }
            catch (Exception ex) when (ex is AskTimeoutException or OperationCanceledException)
            {
                _log.Warning("tunnel {0}: {1} not decided within {2:0.#} s: {3}", _link.TunnelId, r.Request.GetType().Name,
                    _ctx.RequestDeadline.TotalSeconds, ex.Message);
                outcome = ControlOutcome.Failed($"the node did not decide {r.Request.GetType().Name} within " +
                                                $"{_ctx.RequestDeadline.TotalSeconds:0.#} s (a cluster step did not answer); try again");
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
            using var call = CallDeadline.Begin(_ctx.RequestDeadline);
            try
            {
                reply = await PushAsync(p.Change);
            }
            catch (Exception ex) when (ex is ControlRequestException or TimeoutException or IOException or OperationCanceledException or RefusedException
                                           or AskTimeoutException)
            {
                reply = new Refusal(ErrorCode.Failed, "the agent did not apply the change: " + ex.Message);
            }
            sender.Tell(reply);
        });
        Receive<NodesChanged>(n =>
        {
            if (_link.HasLegs) Notify(new NodesUpdate { Nodes = n.Nodes });
        });
        Receive<DrainLinks>(d =>
        {
            if (_link.HasLegs) Notify(new Drain { Seconds = d.Seconds, Reason = $"node {_ctx.NodeName} is draining" });
        });
        Receive<MonitorChanged>(m => TellMonitor(m.Monitor));
        Receive<ServerNameChanged>(m => TellServerName(m.Name));
        Receive<LinkClosed>(_ => Context.Stop(Self));
        Receive<EndSession>(e => End(e.ShutdownReason));
    }

    /// <summary>What one step (an entity, presence, the agent) may wait: its own timeout or what is left of the message's deadline.</summary>
    private static TimeSpan Step => CallDeadline.Wait(SessionContext.AskTimeout);

    private static Task<T> AskAsync<T>(ICanTell target, object message) => target.Ask<T>(message, Step, CallDeadline.Token);

    public static Props Props(TunnelLink link, SessionContext ctx, bool newSession) =>
        Akka.Actor.Props.Create(() => new TunnelSessionActor(link, ctx, newSession));

    protected override void PreStart()
    {
        _ctx.Links.Add(_link);
        if (_newSession)
            _ctx.Regions.Tunnels.Tell(new RecordSessionStart(_link.TunnelId, _link.ClientAddress, "agent"), ActorRefs.NoSender);
        PublishLink();
        ControlLoop.Start(_link, Self);
        TellMonitor(_ctx.Operations.Options.Current.Monitor);
        if (_ctx.ServerNames?.Current is { } name) TellServerName(name);
        _log.Info("tunnel {0} online from {1} (session {2}{3})", _link.TunnelId, _link.ClientAddress, _link.SessionId,
            _newSession ? "" : ", another node's session");
    }

    protected override void PostStop()
    {
        _ctx.Links.Remove(_link);
        _ctx.Presence.Tell(new RemoveLink(_link.TunnelId, _link.SessionId));
        // "Last seen" of an offline tunnel (best effort: a node that stops with the process may not deliver it).
        _ctx.Regions.Tunnels.Tell(new RecordLinkClosed(_link.TunnelId, _ctx.NodeName, "agent"), ActorRefs.NoSender);
        _ = _link.CloseAsync(null);
        _log.Info("tunnel {0} offline here (session {1})", _link.TunnelId, _link.SessionId);
    }

    private void End(string? reason)
    {
        var self = Self;
        _link.CloseAsync(reason).ContinueWith(_ => self.Tell(PoisonPill.Instance), TaskScheduler.Default);
    }

    /// <summary>The upstream monitor's settings, to an agent that runs one.</summary>
    private void TellMonitor(Spokes.Actors.Configuration.MonitorConfig monitor)
    {
        if (_link.AgentFeatures.Contains(AgentFeatures.Monitor))
            Notify(new MonitorSettings { Enabled = monitor.Enabled, IntervalSeconds = monitor.IntervalSeconds });
    }

    /// <summary>The server's name and (self-signed) certificate, to an agent that follows them.</summary>
    private void TellServerName(ServerName name)
    {
        if (_link.AgentFeatures.Contains(AgentFeatures.ServerName)) Notify(name);
    }

    /// <summary>The agent's monitor reported: the tunnel entity records what changed (an audited event per change).</summary>
    private async Task<ControlOutcome> RecordServicesAsync(ServiceStates states)
    {
        if (states.Services.Count > ServiceStates.MaxServices)
            return ControlOutcome.Failed($"at most {ServiceStates.MaxServices} services per report");
        if (states.Services.FirstOrDefault(s => s.Rule.Length is 0 or > 300) is { } bad)
            return ControlOutcome.Failed($"'{bad.Rule[..Math.Min(bad.Rule.Length, 40)]}' is not a rule name");
        var services = states.Services.Select(s => new ServiceState(s.Rule, s.Online, s.Since)).ToImmutableList();
        var reply = await AskAsync<IWireMessage>(_ctx.Regions.Tunnels, new RecordServiceStates(_link.TunnelId, services, "agent"));
        return reply is TunnelReply ? ControlOutcome.Done() : ControlOutcome.Failed((reply as Refusal)?.Message ?? "not recorded");
    }

    private void Notify(ControlMessage message)
    {
        var link = _link;
        _ = Task.Run(async () =>
        {
            try
            {
                await link.Control.SendAsync(message, link.Closed);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The link is closing.
            }
        });
    }

    private async Task<ControlOutcome> DecideAsync(ControlRequest request) => request switch
    {
        SyncRules s => await SyncAsync(s),
        ServiceStates s => await RecordServicesAsync(s),
        HttpAdd a => await AddHttpAsync(a.Rule, claimed: false) is { } error ? ControlOutcome.Failed(error) : await CacheAsync(),
        HttpRemove h => await RemoveHttpAsync(h.Domain),
        TcpAllocate => await AllocateAsync(),
        TcpForward f => await ForwardAsync(f),
        TcpReset t => await ResetAsync(t.Port),
        TcpRelease t => await ReleaseAsync(t.Port),
        TcpFirewall f => await SetTcpFirewallAsync(f.Port, f.Allow, f.Drop),
        _ => ControlOutcome.Failed($"{request.GetType().Name} is not something an agent may ask"),
    };

    /// <summary>The agent's whole rule set, sent on the link it made primary (at the start of a session, or when
    /// its previous primary link was lost). Domains the tunnel's routes already hold need no new claim, so taking
    /// over after a node loss does not wait for that node's shards.</summary>
    private async Task<ControlOutcome> SyncAsync(SyncRules sync)
    {
        _primarySince = _ctx.Time.GetUtcNow();
        PublishLink();
        var known = _ctx.Routes.Current.Routes.GetValueOrDefault(_link.TunnelId);
        var held = known?.Domains.ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var ports = await PortsAsync(known);
        _http.Clear();
        var results = new List<RuleResult>();
        foreach (var rule in sync.Http)
            results.Add(await AddHttpAsync(rule, held.Contains(Normalize(rule.Domain))) is { } error
                ? new RuleResult("http:" + rule.Domain, false, error)
                : new RuleResult("http:" + rule.Domain, true));
        foreach (var dropped in held.Where(d => !_http.ContainsKey(d)))
            await ReleaseDomainAsync(dropped);
        _tcpFirewalls.Clear();
        foreach (var rule in sync.Tcp)
        {
            if (!ports.Contains(rule.Port))
            {
                results.Add(new RuleResult("tcp:" + rule.Port, false, $"port {rule.Port} is not leased to this tunnel"));
                continue;
            }
            if (Firewall.Validate(rule.Allow, rule.Drop) is { } badLists)
            {
                // Fail closed: the port stays leased, but nobody gets through until the agent sends good lists.
                _tcpFirewalls[rule.Port] = ClosedToAll;
                results.Add(new RuleResult("tcp:" + rule.Port, false, badLists + "; the port refuses every visitor until fixed"));
                continue;
            }
            if (FirewallInfo.Of(rule.Allow, rule.Drop) is { } lists) _tcpFirewalls[rule.Port] = lists;
            if (rule.Destination is { Length: > 0 } host && rule.DstPort is { } dst)
                await AskAsync<IWireMessage>(_ctx.Regions.Ports, new SetPortDestination(PortIds.For(rule.Port), _link.TunnelId, host, dst, "agent"));
            results.Add(new RuleResult("tcp:" + rule.Port, true));
        }
        var cached = await CacheAsync(known);
        return cached.Ok ? ControlOutcome.Done(results: results) : cached;
    }

    /// <summary>The tunnel's leased ports: as its routes last said, else from the tunnel entity.</summary>
    private async Task<ImmutableSortedSet<int>> PortsAsync(TunnelRoutes? known)
    {
        if (_ports is { } ports) return ports;
        _ports = known is not null
            ? [.. known.Ports]
            : (await AskAsync<TunnelReply>(_ctx.Regions.Tunnels, new GetTunnel(_link.TunnelId))).Tunnel.Ports;
        return _ports;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Normalize(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Validates and (unless the tunnel already holds it) claims the domain; null when added, else the reason.</summary>
    /// <param name="pushed">The rule comes from an administrator (console, CLI) on its way to the agent: it may carry
    /// new password hashes for the agent; a rule from the agent carries placeholders only.</param>
    private async Task<string?> AddHttpAsync(HttpRule rule, bool claimed, bool pushed = false)
    {
        var domain = Normalize(rule.Domain);
        if (Uri.CheckHostName(domain) != UriHostNameType.Dns || !domain.Contains('.') && domain != "localhost")
            return $"'{rule.Domain}' is not a valid domain name";
        if (domain == _ctx.ServerDomain) return $"{domain} is the server's own domain";
        if ((RuleSupport.NotEnforced(rule, _link.AgentFeatures) ?? RuleSupport.Inconsistent(rule)) is { } notEnforced) return notEnforced;
        if (rule.Password is { } password && password != RuleSupport.SecretPlaceholder && !(pushed && PasswordHasher.LooksHashed(password))
            || rule.BasicPass is { } basicPass && basicPass != RuleSupport.SecretPlaceholder && !(pushed && PasswordHasher.LooksHashed(basicPass)))
            return "passwords stay on the agent: a rule carries only that one is set";
        if (Firewall.Validate(rule.Allow, rule.Drop) is { } badLists) return badLists;
        if (!claimed)
        {
            if (await _ctx.Operations.DomainClaimProblemAsync(_link.TunnelId, domain) is { } outside) return outside;
            var claim = await AskAsync<IWireMessage>(_ctx.Regions.Domains, new ClaimDomain(DomainIds.For(domain), _link.TunnelId, "agent"));
            if (claim is Refusal refusal) return refusal.Message;
        }
        _http[domain] = rule with { Domain = domain };
        return null;
    }

    private async Task<ControlOutcome> RemoveHttpAsync(string domain)
    {
        domain = Normalize(domain);
        if (!_http.Remove(domain)) return ControlOutcome.Failed($"no rule for {domain}");
        await ReleaseDomainAsync(domain);
        return await CacheAsync();
    }

    private Task<IWireMessage> ReleaseDomainAsync(string domain) =>
        AskAsync<IWireMessage>(_ctx.Regions.Domains, new ReleaseDomain(DomainIds.For(domain), _link.TunnelId, "agent"));

    /// <summary>Persists the rules in the Tunnel entity (shown while offline) when they changed, then writes the
    /// tunnel's routes and waits until this node routes them.</summary>
    private async Task<ControlOutcome> CacheAsync(TunnelRoutes? known = null)
    {
        known ??= _ctx.Routes.Current.Routes.GetValueOrDefault(_link.TunnelId);
        var infos = _http.Values.OrderBy(r => r.Domain).Select(r => new HttpRuleInfo(r.Domain, r.Destination, r.HttpPort, r.TlsPort,
            r.Webroot, r.Redirect, r.HostHeader, r.Password is not null, r.BasicUser is not null, r.LetsEncrypt, r.CertFile is not null,
            FirewallInfo.Of(r.Allow, r.Drop))).ToImmutableList();
        if (known is null || !known.Rules.SequenceEqual(infos))
        {
            var reply = await AskAsync<IWireMessage>(_ctx.Regions.Tunnels, new CacheHttpRules(_link.TunnelId, infos, "agent"));
            if (reply is Refusal refusal) return ControlOutcome.Failed(refusal.Message);
        }
        await PublishRoutesAsync(infos);
        return ControlOutcome.Done();
    }

    private async Task PublishRoutesAsync(ImmutableList<HttpRuleInfo>? rules = null)
    {
        rules ??= _ctx.Routes.Current.Routes.GetValueOrDefault(_link.TunnelId)?.Rules ?? [];
        var ports = await PortsAsync(null);
        var firewalls = _tcpFirewalls.Where(f => ports.Contains(f.Key)).ToImmutableDictionary();
        await AskAsync<PresenceAck>(_ctx.Presence, new PutRoutes(new TunnelRoutes(_link.TunnelId, _link.SessionId, rules, [.. ports],
            _ctx.Time.GetUtcNow(), firewalls.IsEmpty ? null : firewalls)));
    }

    /// <summary>Replaces a leased port's allow and drop lists (empty lists remove them); visitors meet them at once.</summary>
    private async Task<ControlOutcome> SetTcpFirewallAsync(int port, IReadOnlyList<string> allow, IReadOnlyList<string> drop)
    {
        if (!(await PortsAsync(null)).Contains(port)) return ControlOutcome.Failed($"port {port} is not leased to this tunnel");
        if (Firewall.Validate(allow, drop) is { } bad) return ControlOutcome.Failed(bad);
        if (FirewallInfo.Of(allow, drop) is { } lists) _tcpFirewalls[port] = lists;
        else _tcpFirewalls.Remove(port);
        await PublishRoutesAsync();
        return ControlOutcome.Done();
    }

    private async Task<ControlOutcome> AllocateAsync()
    {
        var ports = await PortsAsync(_ctx.Routes.Current.Routes.GetValueOrDefault(_link.TunnelId));
        var reply = await _ctx.Operations.AllocatePortAsync(_link.TunnelId, "agent");
        if (reply is not PortAllocated allocated) return ControlOutcome.Failed((reply as Refusal)?.Message ?? "allocation failed");
        _ports = ports.Add(allocated.Port);
        await PublishRoutesAsync();
        return ControlOutcome.Done(port: allocated.Port);
    }

    private async Task<ControlOutcome> ForwardAsync(TcpForward f)
    {
        if (!(await PortsAsync(null)).Contains(f.Port)) return ControlOutcome.Failed($"port {f.Port} is not leased to this tunnel");
        if (f.DstPort is < 1 or > 65535 || string.IsNullOrWhiteSpace(f.Destination)) return ControlOutcome.Failed("bad destination");
        var reply = await AskAsync<IWireMessage>(_ctx.Regions.Ports,
            new SetPortDestination(PortIds.For(f.Port), _link.TunnelId, f.Destination.Trim(), f.DstPort, "agent"));
        return reply is Refusal r ? ControlOutcome.Failed(r.Message) : ControlOutcome.Done();
    }

    private async Task<ControlOutcome> ResetAsync(int port)
    {
        if (!(await PortsAsync(null)).Contains(port)) return ControlOutcome.Failed($"port {port} is not leased to this tunnel");
        var reply = await AskAsync<IWireMessage>(_ctx.Regions.Ports, new ResetPortDestination(PortIds.For(port), _link.TunnelId, "agent"));
        return reply is Refusal r ? ControlOutcome.Failed(r.Message) : ControlOutcome.Done();
    }

    private async Task<ControlOutcome> ReleaseAsync(int port)
    {
        var ports = await PortsAsync(null);
        if (!ports.Contains(port)) return ControlOutcome.Failed($"port {port} is not leased to this tunnel");
        var reply = await _ctx.Operations.ReleasePortAsync(_link.TunnelId, port, "agent");
        if (reply is Refusal r) return ControlOutcome.Failed(r.Message);
        _ports = ports.Remove(port);
        _tcpFirewalls.Remove(port);
        await PublishRoutesAsync();
        return ControlOutcome.Done();
    }

    /// <summary>Applies an administrator's change the way the agent's own CLI would: the node decides
    /// (claims, leases), the agent applies and saves it, then the node records the result.</summary>
    private async Task<IWireMessage> PushAsync(RuleChange change)
    {
        var ports = await PortsAsync(_ctx.Routes.Current.Routes.GetValueOrDefault(_link.TunnelId));
        switch (change.Action)
        {
            case RuleAction.HttpAdd:
                var rule = new HttpRule
                {
                    Domain = change.Domain!, Destination = change.Destination!, HttpPort = change.HttpPort, TlsPort = change.TlsPort,
                    Redirect = change.Redirect, Webroot = Blank(change.Webroot), HostHeader = Blank(change.HostHeader),
                    LetsEncrypt = change.LetsEncrypt,
                };
                var domain = Normalize(rule.Domain);
                var previous = _http.GetValueOrDefault(domain);
                // An edit changes where the rule goes, not who may reach it: the lists stay (sent whole, so the agent keeps
                // them too), and so does auth unless the change sets it (hashes made in the browser, passed to the agent).
                rule = rule with
                {
                    Allow = previous?.Allow ?? [], Drop = previous?.Drop ?? [],
                    Password = change.SetAuth ? change.PasswordHash : previous?.Password,
                    BasicUser = change.SetAuth ? Blank(change.BasicUser) : previous?.BasicUser,
                    BasicPass = change.SetAuth ? change.BasicPassHash : previous?.BasicPass,
                };
                // The certificate: an upload replaces it; a certificate already on the agent stays unless the rule now
                // passes TLS through or uses Let's Encrypt.
                if (change.CertificatePem is not null)
                    rule = rule with
                    {
                        CertificatePem = change.CertificatePem, KeyPem = change.KeyPem,
                        CertFile = RuleSupport.UploadedPlaceholder, KeyFile = RuleSupport.UploadedPlaceholder,
                    };
                else if (rule is { TlsPort: null, LetsEncrypt: false })
                    rule = rule with { CertFile = previous?.CertFile, KeyFile = previous?.KeyFile };
                return await PushHttpAsync(rule, previous, $"http rule for {domain} {(previous is null ? "added" : "updated")}");
            case RuleAction.HttpFirewall or RuleAction.TcpFirewall:
                var (badAllow, badDrop) = (Firewall.Canonical(change.Allow!, out var allow), Firewall.Canonical(change.Drop!, out var drop));
                if ((badAllow ?? badDrop) is { } badEntry) return new Refusal(ErrorCode.Invalid, badEntry);
                if (Firewall.Validate(allow, drop) is { } badLists) return new Refusal(ErrorCode.Invalid, badLists);
                if (change.Action == RuleAction.HttpFirewall)
                {
                    var guarded = _http.GetValueOrDefault(Normalize(change.Domain!));
                    if (guarded is null) return new Refusal(ErrorCode.NotFound, $"no rule for {Normalize(change.Domain!)}");
                    return await PushHttpAsync(guarded with { Allow = allow, Drop = drop }, guarded, $"firewall lists of {guarded.Domain} set");
                }
                if (!ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpFirewall { Port = change.Port.Value, Allow = allow, Drop = drop }, Step, CallDeadline.Token);
                return Done(await SetTcpFirewallAsync(change.Port.Value, allow, drop), $"firewall lists of port {change.Port} set");
            case RuleAction.HttpRemove:
                var name = Normalize(change.Domain!);
                if (!_http.ContainsKey(name)) return new Refusal(ErrorCode.NotFound, $"no rule for {name}");
                await _link.Control.RequestAsync(new HttpRemove { Domain = name }, Step, CallDeadline.Token);
                return Done(await RemoveHttpAsync(name), $"http rule for {name} removed");
            case RuleAction.TcpAllocate:
                var allocated = await AllocateAsync();
                if (!allocated.Ok) return new Refusal(ErrorCode.Failed, allocated.Error!);
                await _link.Control.RequestAsync(new TcpAllocated { Port = allocated.Port!.Value }, Step, CallDeadline.Token);
                return new AdminDone($"port {allocated.Port} allocated");
            case RuleAction.TcpForward:
                if (!ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                var forward = new TcpForward { Port = change.Port.Value, Destination = change.Destination!, DstPort = change.DstPort!.Value };
                await _link.Control.RequestAsync(forward, Step, CallDeadline.Token);
                return Done(await ForwardAsync(forward), $"port {change.Port} forwards to {change.Destination}:{change.DstPort}");
            case RuleAction.TcpReset:
                if (!ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpReset { Port = change.Port.Value }, Step, CallDeadline.Token);
                return Done(await ResetAsync(change.Port.Value), $"port {change.Port} reset");
            case RuleAction.TcpRelease:
                if (!ports.Contains(change.Port!.Value)) return new Refusal(ErrorCode.NotFound, $"port {change.Port} is not leased to this tunnel");
                await _link.Control.RequestAsync(new TcpRelease { Port = change.Port.Value }, Step, CallDeadline.Token);
                return Done(await ReleaseAsync(change.Port.Value), $"port {change.Port} released");
            default:
                return new Refusal(ErrorCode.Invalid, "unknown rule action");
        }
    }

    /// <summary>Decides an HTTP rule the administrator set (claims its domain if new), has the agent apply and save it,
    /// then routes it; the previous rule is put back when the agent does not take it.</summary>
    private async Task<IWireMessage> PushHttpAsync(HttpRule rule, HttpRule? previous, string message)
    {
        var domain = Normalize(rule.Domain);
        if (await AddHttpAsync(rule, claimed: previous is not null, pushed: true) is { } error) return new Refusal(ErrorCode.Invalid, error);
        try
        {
            await _link.Control.RequestAsync(new HttpAdd { Rule = _http[domain] }, Step, CallDeadline.Token);
            // An uploaded certificate and new password hashes went to the agent, which keeps them; this node does not.
            _http[domain] = RuleSupport.ForNode(_http[domain] with { CertificatePem = null, KeyPem = null });
        }
        catch
        {
            if (previous is null)
            {
                _http.Remove(domain);
                await ReleaseDomainAsync(domain);
            }
            else
            {
                _http[domain] = previous;
            }
            throw;
        }
        return Done(await CacheAsync(), message);
    }

    private static IWireMessage Done(ControlOutcome outcome, string message) =>
        outcome.Ok ? new AdminDone(message) : new Refusal(ErrorCode.Failed, outcome.Error ?? "refused");

    private void PublishLink() => _ctx.Presence.Tell(new PutLink(new LinkPresence(_link.TunnelId, _link.SessionId, _ctx.NodeName,
        _ctx.Identity.RelayEndpoint, _link.ClientAddress, _since, SecretValues.Digest(_link.SessionSecret), _primarySince, _link.PoolSize)));
}
