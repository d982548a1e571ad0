using System.Reflection;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>
/// A running agent (<c>spokes-agent start</c>): keeps one Session with the node alive, reconnecting
/// with jittered backoff, serves the local API and owns the rules. Rule changes from the local API
/// and from the node are applied one at a time and saved; readers see an immutable config snapshot.
/// </summary>
internal sealed partial class AgentRuntime
{
    private static readonly string AgentVersion =
        typeof(AgentRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    private readonly ConfigStore _store;
    private readonly AgentLog _log;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _ruleLock = new(1, 1);
    private volatile AgentConfig _config = new();
    private ActiveSession? _session;
    private volatile string? _lastError;
    private Backoff? _backoff;
    private NodeDialer? _dialer;

    public AgentRuntime(ConfigStore store, AgentLog log, AgentOptions? options = null, TimeProvider? time = null)
    {
        _store = store;
        _log = log;
        _options = options ?? AgentOptions.Default;
        _time = time ?? TimeProvider.System;
        Monitor = new UpstreamMonitor(() => _config, () => Current, _log, _time);
    }

    /// <summary>Where streams of rules served by the agent's HTTP stack go (set once running).</summary>
    internal Http.StreamListenerFactory Sites { get; private set; } = new();

    /// <summary>Checks rules' destinations while the node says so.</summary>
    internal UpstreamMonitor Monitor { get; }

    /// <summary>The port maps' listeners (set once running).</summary>
    internal Relay.PortMaps? Maps { get; private set; }

    /// <summary>The current rules and settings; replaced as a whole on every change.</summary>
    public AgentConfig Config => _config;

    /// <summary>Runs until cancelled (0) or until the node refuses the key or shuts the tunnel down (1).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        NodeDialer dialer;
        try
        {
            _config = _store.Load();
            if (string.IsNullOrEmpty(_config.Key) || _config.Hostname is null)
            {
                _log.Info($"no auth token configured in {_store.Path} — run spokes-agent configure");
                return 1;
            }

            dialer = _dialer = new NodeDialer(_config);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            _log.Info($"cannot start: {ex.Message}");
            return 1;
        }

        // The HTTP stack for rules the agent serves itself (auth, webroot, Host header, own certificate); no socket.
        await using var sites = await Http.AgentHttpServer.StartAsync(() => _config, Path.GetDirectoryName(Path.GetFullPath(_store.Path))!, _log, cancellationToken).ConfigureAwait(false);
        Sites = sites.Sites;
        await using var api = new LocalApiServer(_store.SocketPath, HandleLocalAsync);
        try
        {
            await api.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Net.Sockets.SocketException or IOException)
        {
            _log.Info($"cannot start: {ex.Message}");
            return 1;
        }

        await using var maps = new Relay.PortMaps(() => Current, _log);
        maps.Apply(_config.Maps);
        Maps = maps;
        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitoring = Monitor.RunAsync(monitorStop.Token);
        _backoff = new Backoff(Random.Shared, _options.BackoffInitial, _options.BackoffCap);
        _log.Info($"agent started; connecting to {_config.Server}");
        IReadOnlyList<string?> endpoints = [null];
        int attempt = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            bool wasConnected = false;
            string? endpoint = endpoints[attempt++ % endpoints.Count];
            try
            {
                await using var session = new ActiveSession(this, dialer, _log, _options, _time);
                try
                {
                    reason = await session.RunAsync(endpoint, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (session.Welcome is not null)
                    {
                        wasConnected = true;
                        // Next, the nodes the cluster listed, except the one that just failed, then the configured endpoint.
                        endpoints = LegPlan.Reconnect(session.KnownNodes, session.LastPrimaryNode is { } failed ? [failed] : []);
                        attempt = 0;
                    }
                }
            }
            catch (AgentStopException ex)
            {
                _log.Info(ex.Message);
                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                reason = $"cannot connect to {endpoint ?? _config.Server}: {ex.Message}";
            }

            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            _lastError = reason;
            // The first retry after a session that worked goes at once (to another node); then jittered backoff.
            TimeSpan delay = wasConnected ? TimeSpan.Zero : _backoff.Next();
            string what = reason.StartsWith("cannot connect", StringComparison.Ordinal) ? reason : $"disconnected: {reason}";
            _log.Info(delay == TimeSpan.Zero ? $"{what}; reconnecting" : $"{what}; retrying in {delay.TotalSeconds:0.0} s");
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await monitorStop.CancelAsync().ConfigureAwait(false);
        await monitoring.ConfigureAwait(false);
        _log.Info("agent stopped");
        return 0;
    }

    private ActiveSession? Current => Volatile.Read(ref _session);

    /// <summary>The hello of a new connection: Control opens a session; Data joins <paramref name="session"/>.</summary>
    public Hello NewHello(ConnectionRole role, Welcome? session) => new()
    {
        ProtocolVersion = ControlProtocol.Version,
        AgentVersion = AgentVersion,
        Key = _config.Key ?? "",
        Role = role,
        SessionId = role == ConnectionRole.Data ? session?.SessionId : null,
        SessionSecret = role == ConnectionRole.Data ? session?.SessionSecret : null,
        Features = RuleValidation.Features,
    };

    internal void OnConnected(ActiveSession session)
    {
        Volatile.Write(ref _session, session);
        _lastError = null;
        _backoff?.Reset();
        Monitor.SessionStarted();
        _log.Info($"connected to {_config.Hostname}" + (session.Welcome?.Node is { } node ? $" on node {node}" : "")
                  + $" (tunnel {session.Welcome?.TunnelId})");
    }

    internal void OnDisconnected(ActiveSession session) => Interlocked.CompareExchange(ref _session, null, session);

    /// <summary>After Welcome: send every saved rule; the node answers per rule and refusals are logged.
    /// A node that does not enforce firewall lists (an older release) is not sent the HTTP rules that have lists, so they
    /// are not served unguarded; a leased port keeps routing there, so its lists are reported as not enforced.</summary>
    internal async Task SyncRulesAsync(ControlChannel channel, Welcome? welcome, CancellationToken cancellationToken)
    {
        AgentConfig config = _config;
        // A rule edited by hand (or saved by an older agent) that this agent cannot enforce is not offered at all.
        // Checked once per rule: the check loads certificate files.
        var verdicts = config.Http.Select(r => (Rule: r, Error: RuleValidation.Http(r))).ToList();
        foreach (var (rule, error) in verdicts.Where(v => v.Error is not null))
        {
            _log.Info($"rule http:{rule.Domain} not sent: {error}");
        }

        IReadOnlyList<HttpRule> http = [.. verdicts.Where(v => v.Error is null).Select(v => v.Rule)];
        if (!NodeFeatures.Has(welcome, NodeFeatures.Firewall))
        {
            foreach (var rule in http.Where(r => Firewall.Any(r.Allow, r.Drop)))
            {
                _log.Info($"rule http:{rule.Domain} not sent: node {welcome?.Node} does not enforce firewall lists; upgrade it");
            }

            foreach (var rule in config.Tcp.Where(r => Firewall.Any(r.Allow, r.Drop)))
            {
                _log.Info($"warning: node {welcome?.Node} does not enforce the firewall lists of port {rule.Port}; upgrade it");
            }

            http = [.. http.Where(r => !Firewall.Any(r.Allow, r.Drop))];
        }

        try
        {
            OkReply ok = await channel.RequestAsync(new SyncRules { Http = [.. http.Select(RuleSupport.ForNode)], Tcp = config.Tcp }, _options.RequestTimeout, cancellationToken)
                .ConfigureAwait(false);
            var results = ok.Results ?? [];
            foreach (var refused in results.Where(r => !r.Accepted))
            {
                _log.Info($"rule {refused.Rule} refused by server: {refused.Message ?? "no reason given"}");
            }

            _log.Info($"synced {config.Http.Count + config.Tcp.Count} rules ({results.Count(r => r.Accepted)} accepted)");
        }
        catch (Exception ex) when (ex is ControlRequestException or TimeoutException)
        {
            _log.Info($"rule sync failed: {ex.Message}");
        }
    }
}
