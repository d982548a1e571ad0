using System.Net.Sockets;
using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>
/// The upstream monitor (docs/agent.md, "Upstream monitoring"): while the node says it is on
/// (<see cref="MonitorSettings"/>), every interval the agent opens a TCP connection to each rule's and lease's
/// destination and closes it; when a destination starts or stops answering it logs the change and sends the whole
/// list to the node (<see cref="ServiceStates"/>), which records it. A new session gets the list again; turning
/// monitoring off sends an empty one.
/// </summary>
internal sealed class UpstreamMonitor(Func<AgentConfig> config, Func<ActiveSession?> session, AgentLog log, TimeProvider time)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile MonitorSettings? _settings;
    private volatile IReadOnlyList<ServiceStatus> _states = [];
    private volatile bool _unsent;

    public bool Enabled => _settings?.Enabled == true;

    public int IntervalSeconds => _settings?.IntervalSeconds ?? 0;

    /// <summary>The last check's results (empty while monitoring is off).</summary>
    public IReadOnlyList<ServiceStatus> States => _states;

    /// <summary>The node's settings (on every connection, and when they change).</summary>
    public void Configure(MonitorSettings settings)
    {
        var before = _settings;
        _settings = settings;
        if (before != settings) log.Info(settings.Enabled ? $"upstream monitor on: every {settings.IntervalSeconds} s" : "upstream monitor off");
        Wake();
    }

    /// <summary>A new session: it hears the list at the next check.</summary>
    public void SessionStarted()
    {
        _unsent = true;
        Wake();
    }

    /// <summary>The rules changed: check at once.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is pending already.
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var settings = _settings;
            try
            {
                if (settings is { Enabled: true }) await CheckAsync(settings, cancellationToken).ConfigureAwait(false);
                else if (_states.Count > 0 || _unsent && settings is not null)
                {
                    _states = [];
                    _unsent = true;
                }
                if (_unsent && session() is { Control: { } control })
                {
                    await control.RequestAsync(new ServiceStates { Services = _states }, RequestTimeout, cancellationToken).ConfigureAwait(false);
                    _unsent = false;
                }
            }
            catch (Exception ex) when (ex is ControlRequestException or TimeoutException or IOException or ObjectDisposedException
                                           or Tunnel.Mux.MuxException)
            {
                log.Info($"upstream monitor: could not report to the server: {ex.Message}");
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var wait = settings is { Enabled: true } ? TimeSpan.FromSeconds(Math.Max(1, settings.IntervalSeconds)) : Timeout.InfiniteTimeSpan;
            try
            {
                await _wake.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task CheckAsync(MonitorSettings settings, CancellationToken cancellationToken)
    {
        var connectTimeout = TimeSpan.FromSeconds(Math.Clamp(settings.IntervalSeconds / 2.0, 1, 5));
        var targets = Targets(config());
        var results = await Task.WhenAll(targets.Select(async t => (t.Rule, t.Host, t.Port,
            Online: await AnswersAsync(t.Host, t.Port, connectTimeout, cancellationToken).ConfigureAwait(false)))).ConfigureAwait(false);
        var before = _states.ToDictionary(s => s.Rule);
        var now = time.GetUtcNow();
        List<ServiceStatus> next = [];
        foreach (var (rule, host, port, online) in results)
        {
            if (before.TryGetValue(rule, out var known) && known.Online == online)
            {
                next.Add(known);
                continue;
            }
            next.Add(new ServiceStatus(rule, online, now));
            log.Info(online ? $"service {rule} online ({host}:{port} answers)" : $"service {rule} unavailable ({host}:{port} does not answer)");
            _unsent = true;
        }
        if (before.Keys.Any(k => next.All(s => s.Rule != k))) _unsent = true;
        _states = next;
    }

    /// <summary>What is watched: each HTTP rule with a destination (its HTTP port, else its TLS port) and each forwarded lease.</summary>
    internal static IReadOnlyList<(string Rule, string Host, int Port)> Targets(AgentConfig config) =>
    [
        .. config.Http.Where(r => r.Destination.Length > 0 && (r.HttpPort ?? r.TlsPort) is not null)
            .Select(r => ($"http:{r.Domain}", r.Destination, (r.HttpPort ?? r.TlsPort)!.Value)),
        .. config.Tcp.Where(r => r.Destination is { Length: > 0 } && r.DstPort is not null)
            .Select(r => ($"tcp:{r.Port}", r.Destination!, r.DstPort!.Value)),
    ];

    private static async Task<bool> AnswersAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, connect.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
