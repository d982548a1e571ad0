using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using Spokes.Actors.Security;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.NodeRelay;

/// <summary>
/// The node-to-node link: one mutual-TLS connection (cluster certificate both ways, ALPN spokes-relay/1) per
/// peer node, multiplexed; each visitor relayed through a peer is one stream on it. Reconnects lazily.
/// </summary>
public sealed class NodeRelayClient(ClusterCredentials credentials) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<MuxSession>>> _links = new();

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
            catch (Exception) when (attempt == 0)
            {
                _links.TryRemove(new KeyValuePair<string, Lazy<Task<MuxSession>>>(endpoint, lazy));
                continue;
            }
            if (session.IsClosed)
            {
                _links.TryRemove(new KeyValuePair<string, Lazy<Task<MuxSession>>>(endpoint, lazy));
                if (attempt == 0) continue;
                throw new MuxException($"relay link to {endpoint} is closed");
            }
            return await session.OpenStreamAsync(header.Encode(), ct);
        }
    }

    private async Task<MuxSession> ConnectAsync(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
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
        return MuxSession.Create(tls, isClient: true);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _links.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                await lazy.Value.Result.DisposeAsync();
    }
}
