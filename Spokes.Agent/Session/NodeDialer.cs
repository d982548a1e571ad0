using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Spokes.Agent.Config;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Session;

/// <summary>
/// Dials one pool connection: TCP to <c>address ?? hostname</c> (or to a node's advertised endpoint), TLS with
/// SNI = hostname and ALPN <c>spokes/1</c>, then a client <see cref="MuxSession"/>. With a CA file, that
/// certificate is the only trusted root. The server's name is checked whichever address was dialled. When the server
/// moves to another name (<see cref="Follow"/>), the next connection dials and checks that one.
/// </summary>
internal sealed class NodeDialer
{
    private sealed record Target(string Hostname, string DialHost, int Port, X509Certificate2Collection? Roots);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A node's advertised endpoint may not be reachable from here (a private address): give up sooner.</summary>
    private static readonly TimeSpan AdvertisedConnectTimeout = TimeSpan.FromSeconds(4);
    private volatile Target _target;

    public NodeDialer(AgentConfig config) => _target = TargetOf(config);

    public string Hostname => _target.Hostname;

    /// <summary>Dials <paramref name="config"/>'s server from the next connection on (open ones stay).</summary>
    public void Follow(AgentConfig config) => _target = TargetOf(config);

    private static Target TargetOf(AgentConfig config)
    {
        var hostname = config.Hostname ?? throw new InvalidOperationException("no server configured — run spokes-agent configure");
        X509Certificate2Collection? roots = null;
        if (config.Ca is { } ca)
        {
            roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(ca);
            if (roots.Count == 0)
            {
                throw new InvalidDataException($"no certificate in {ca}");
            }
        }

        return new Target(hostname, string.IsNullOrEmpty(config.Address) ? hostname : config.Address, config.Port, roots);
    }

    public Task<MuxSession> DialAsync(CancellationToken cancellationToken) => DialAsync(null, cancellationToken);

    /// <param name="endpoint">A node's advertised <c>host:port</c>, or null for the configured server.</param>
    public async Task<MuxSession> DialAsync(string? endpoint, CancellationToken cancellationToken)
    {
        var target = _target;
        var (host, port, limit) = endpoint is null ? (target.DialHost, target.Port, ConnectTimeout) : (HostOf(endpoint), PortOf(endpoint), AdvertisedConnectTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            try
            {
                await tcp.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no TCP connection to {host}:{port} within {limit.TotalSeconds:0} s");
            }

            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(TlsOptions(target), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw new TimeoutException($"no TLS handshake with {host}:{port} within {limit.TotalSeconds:0} s");
            }
            catch
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (tls.NegotiatedApplicationProtocol != new SslApplicationProtocol(ControlProtocol.Alpn))
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"{target.Hostname} did not accept ALPN {ControlProtocol.Alpn}; is it a spokes node?");
            }

            return MuxSession.Create(tls, isClient: true);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private static string HostOf(string endpoint) => endpoint[..endpoint.LastIndexOf(':')].Trim('[', ']');

    private static int PortOf(string endpoint) =>
        int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static SslClientAuthenticationOptions TlsOptions(Target target)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = target.Hostname,
            ApplicationProtocols = [new SslApplicationProtocol(ControlProtocol.Alpn)],
        };
        if (target.Roots is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(target.Roots);
            options.CertificateChainPolicy = policy;
        }

        return options;
    }
}
