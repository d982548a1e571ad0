using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Security;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.NodeRelay;

/// <summary>
/// The node-to-node link: one mutual-TLS connection (cluster certificate both ways, ALPN spokes-relay/1) per
/// peer node, multiplexed; each visitor relayed through a peer is one stream on it. Reconnects lazily.
/// A peer that does not answer — connect or handshake slower than <see cref="ConnectTimeout"/>, a stream's SYN
/// unanswered for <see cref="AnswerTimeout"/>, a keepalive ping unanswered — is marked suspect for
/// <see cref="SuspectFor"/>, so routing skips its links at once instead of waiting for the cluster's failure
/// detector or split brain resolver.
/// </summary>
public sealed class NodeRelayClient(ClusterCredentials credentials, ILogger<NodeRelayClient> log) : IAsyncDisposable
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Lazy<Task<MuxSession>>> _links = new();
    private readonly ConcurrentDictionary<string, long> _suspectUntil = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>True while <paramref name="endpoint"/> recently failed to answer.</summary>
    public bool IsSuspect(string endpoint) =>
        _suspectUntil.TryGetValue(endpoint, out var until) && Environment.TickCount64 < until;

    /// <summary>A stream to the peer that answered its SYN; throws when the peer is unreachable or silent.</summary>
    public async Task<MuxStream> OpenAsync(string endpoint, RelayHeader header, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var lazy = _links.GetOrAdd(endpoint, e => new Lazy<Task<MuxSession>>(() => ConnectAsync(e)));
            MuxSession session;
            try
            {
                session = await lazy.Value.WaitAsync(ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                _links.TryRemove(new KeyValuePair<string, Lazy<Task<MuxSession>>>(endpoint, lazy));
                Suspect(endpoint, ex.Message);
                throw;
            }
            if (session.IsClosed)
            {
                _links.TryRemove(new KeyValuePair<string, Lazy<Task<MuxSession>>>(endpoint, lazy));
                if (attempt == 0) continue;
                Suspect(endpoint, "relay link closed");
                throw new MuxException($"relay link to {endpoint} is closed");
            }
            var stream = await session.OpenStreamAsync(header.Encode(), ct);
            var answer = stream.WaitForAnswerAsync();
            var answered = await Task.WhenAny(answer, Task.Delay(AnswerTimeout, ct)) == answer;
            if (answered && !stream.IsReset) return stream;
            stream.Reset();
            ct.ThrowIfCancellationRequested();
            if (!answered)
            {
                Suspect(endpoint, $"no answer within {AnswerTimeout.TotalMilliseconds:0} ms");
                session.Abort(new TimeoutException("the peer stopped answering"));
            }
            throw new MuxException($"relay to {endpoint} refused the stream");
        }
    }

    private void Suspect(string endpoint, string reason)
    {
        var first = !IsSuspect(endpoint);
        _suspectUntil[endpoint] = Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds;
        if (first) log.LogWarning("relay: peer {Endpoint} is not answering ({Reason}); routing around it", endpoint, reason);
    }

    private async Task<MuxSession> ConnectAsync(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await tcp.ConnectAsync(endpoint[..colon].Trim('[', ']'),
                int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = ClusterCredentials.ServerName,
                ClientCertificates = [credentials.Certificate],
                ApplicationProtocols = [new SslApplicationProtocol(RelayHeader.Alpn)],
                RemoteCertificateValidationCallback = (_, presented, _, _) => credentials.IsCluster(presented),
            }, timeout.Token);
            if (tls.NegotiatedApplicationProtocol.ToString() != RelayHeader.Alpn)
            {
                await tls.DisposeAsync();
                throw new MuxException($"{endpoint} does not speak {RelayHeader.Alpn}");
            }
            var session = MuxSession.Create(tls, isClient: true);
            _suspectUntil.TryRemove(endpoint, out _);
            _ = KeepAliveAsync(endpoint, session);
            return session;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new TimeoutException($"no relay link to {endpoint} within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Pings the peer every <see cref="PingInterval"/>; a ping unanswered for twice that marks it suspect
    /// and drops the link (the next visitor reconnects).</summary>
    private async Task KeepAliveAsync(string endpoint, MuxSession session)
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token) && !session.IsClosed)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                deadline.CancelAfter(PingInterval * 2);
                await session.PingAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or MuxException)
        {
            Suspect(endpoint, "keepalive unanswered");
            session.Abort(new TimeoutException("relay keepalive unanswered"));
        }
        if (!_stopping.IsCancellationRequested && session.CloseReason is not null) Suspect(endpoint, session.CloseReason.Message);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var lazy in _links.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                await lazy.Value.Result.DisposeAsync();
    }
}
