using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;
using Akka.Remote.Transport;
using Spokes.Actors.Security;

namespace Spokes.Actors.Remoting;

/// <summary>
/// Akka.Remote transport of the cluster port: TCP, mutual TLS with the cluster certificate pinned on both sides,
/// 4-byte big-endian length-prefixed frames. It replaces Akka's DotNetty transport because that one runs
/// coordinated shutdown — stopping the whole node — whenever an outbound TLS handshake fails, which happens
/// when it dials a peer that is in the middle of leaving (docs/architecture.md, "The cluster port"). Here a
/// failed handshake is what it is: that association fails, Akka gates the address and retries.
/// </summary>
internal sealed class ClusterTlsTransport : Akka.Remote.Transport.Transport
{
    /// <summary>Handshakes in progress on the listener at once; further connections are closed at once, so a
    /// flood of half-open TLS connections cannot hold memory or threads.</summary>
    private const int MaxPendingHandshakes = 64;

    private readonly X509Certificate2 _certificate;
    private readonly SslStreamCertificateContext _context;
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TimeSpan _flushWait;
    private readonly ILoggingAdapter _log;
    private readonly TaskCompletionSource<IAssociationEventListener> _listener =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<ClusterTlsAssociation, byte> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly RefusalTally _refusals = RefusalTally.Every10Seconds();
    private Socket? _server;
    private Address? _localAddress;
    private int _handshaking;

    public ClusterTlsTransport(ActorSystem system, Config config)
    {
        System = system;
        Config = config;
        SchemeIdentifier = ClusterTls.Scheme;
        MaximumPayloadBytes = config.GetByteSize("maximum-frame-size", 4 * 1024 * 1024) ?? 4 * 1024 * 1024;
        _host = config.GetString("hostname", "127.0.0.1");
        _port = config.GetInt("port", 0);
        _connectTimeout = config.GetTimeSpan("connection-timeout", TimeSpan.FromSeconds(15));
        _handshakeTimeout = config.GetTimeSpan("tls-handshake-timeout", TimeSpan.FromSeconds(10));
        _flushWait = config.GetTimeSpan("flush-wait-on-shutdown", TimeSpan.FromSeconds(2));
        var setup = system.Settings.Setup.Get<ClusterTlsSetup>();
        _certificate = setup.HasValue
            ? setup.Value.Certificate
            : throw new ConfigurationException("the cluster port needs the cluster certificate (ClusterTlsSetup)");
        _context = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
        _log = Logging.GetLogger(system, typeof(ClusterTlsTransport));
    }

    public override bool IsResponsibleFor(Address remote) => true;

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var addresses = IPAddress.TryParse(_host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(_host);
        var endpoint = new IPEndPoint(addresses.First(), _port);
        var server = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted node binds its port again while connections of its previous life sit in TIME_WAIT.
            server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            server.Bind(endpoint);
            server.Listen(512);
        }
        catch (SocketException ex)
        {
            server.Dispose();
            throw new RemoteTransportException($"Failed to bind to [{endpoint}]: {ex.SocketErrorCode}", ex);
        }
        _server = server;
        _localAddress = new Address(ClusterTls.Scheme, System.Name, _host, ((IPEndPoint)server.LocalEndPoint!).Port);
        _ = AcceptLoopAsync(server);
        return (_localAddress, _listener);
    }

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var local = _localAddress ?? throw new InvalidAssociationException("the cluster port is not listening");
        var host = remoteAddress.Host is null or "0.0.0.0" ? "127.0.0.1" : remoteAddress.Host;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            Tune(socket);
            await socket.ConnectAsync(host, remoteAddress.Port ?? 0, timeout.Token);
            timeout.CancelAfter(_handshakeTimeout);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false,
                (_, presented, _, _) => ClusterTls.IsClusterCertificate(_certificate, presented));
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "spokes-cluster",
                    ClientCertificateContext = _context,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, timeout.Token);
            }
            catch
            {
                await tls.DisposeAsync();
                throw;
            }
            return Track(new ClusterTlsAssociation(this, tls, local, remoteAddress));
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            socket.Dispose();
            throw new InvalidAssociationException($"cannot reach {remoteAddress} on the cluster port: {Describe(ex, timeout)}", ex);
        }
    }

    public override async Task<bool> Shutdown()
    {
        _stopping.Cancel();
        _server?.Dispose();
        foreach (var association in _open.Keys) association.Disassociate("the node is stopping", _log);
        var deadline = DateTime.UtcNow + _flushWait + TimeSpan.FromSeconds(1);
        while (!_open.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(50);
        foreach (var association in _open.Keys) association.Close();
        return true;
    }

    internal TimeSpan FlushWait => _flushWait;

    internal void Forget(ClusterTlsAssociation association) => _open.TryRemove(association, out _);

    private ClusterTlsAssociation Track(ClusterTlsAssociation association)
    {
        _open[association] = 0;
        return association;
    }

    private async Task AcceptLoopAsync(Socket server)
    {
        // Akka registers its listener once remoting is up; until then connections wait in the backlog.
        var listener = await _listener.Task;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await server.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (Interlocked.Increment(ref _handshaking) > MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref _handshaking);
                Refused(socket.RemoteEndPoint, "too many handshakes in progress");
                socket.Dispose();
                continue;
            }
            _ = AcceptOneAsync(socket, listener);
        }
    }

    private async Task AcceptOneAsync(Socket socket, IAssociationEventListener listener)
    {
        var peer = socket.RemoteEndPoint as IPEndPoint;
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false,
            (_, presented, _, _) => ClusterTls.IsClusterCertificate(_certificate, presented));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_handshakeTimeout);
        try
        {
            Tune(socket);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                ClientCertificateRequired = true,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            Refused(peer, Describe(ex, timeout));
            await tls.DisposeAsync();
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }
        var remote = new Address(ClusterTls.Scheme, System.Name,
            peer?.Address.IsIPv4MappedToIPv6 == true ? peer.Address.MapToIPv4().ToString() : peer?.Address.ToString(), peer?.Port);
        listener.Notify(new InboundAssociation(Track(new ClusterTlsAssociation(this, tls, _localAddress!, remote))));
    }

    private void Refused(EndPoint? peer, string reason)
    {
        if (_refusals.Note(out var more)) _log.Warning("cluster port: refused a connection from {0}: {1}{2}", peer, reason, more);
    }

    private static void Tune(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
    }

    private static string Describe(Exception ex, CancellationTokenSource timeout) => ex switch
    {
        OperationCanceledException when timeout.IsCancellationRequested => "timed out",
        AuthenticationException => "TLS refused (not the cluster certificate?)",
        SocketException se => se.SocketErrorCode.ToString(),
        IOException { InnerException: SocketException se } => se.SocketErrorCode.ToString(),
        IOException => "closed during the TLS handshake",
        _ => ex.GetType().Name,
    };
}
