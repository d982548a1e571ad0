using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Gateway;
using Spokes.Edge.Relay;
using Spokes.Edge.Sessions;
using Spokes.Edge.Sniffing;
using Spokes.Edge.Tls;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Listeners;

/// <summary>The HTTPS port's address; only <see cref="HttpsPortTransport"/> binds it.</summary>
internal sealed class HttpsPortEndPoint(IPAddress address, int port) : IPEndPoint(address, port);

/// <summary>Who serves an agent connection once its TLS is up: the <see cref="AgentConnectionHandler"/>.</summary>
internal interface IAgentConnections
{
    /// <summary>Serves the connection from <paramref name="remote"/> until its multiplexer (made by <paramref name="open"/>
    /// once the connection is admitted) completes or <paramref name="closed"/> fires; the caller closes the transport.</summary>
    Task HandleAsync(EndPoint? remote, Func<MuxSession> open, CancellationToken closed);
}

/// <summary>
/// Kestrel's transport for the HTTPS port. It accepts the sockets itself and peeks (without consuming) at each
/// ClientHello: an agent's — complete in the first bytes, for the server's own name or none, offering ALPN
/// <c>spokes/1</c> — gets its own <see cref="SslStream"/> over the socket and goes straight to the
/// <see cref="AgentConnectionHandler"/> (large reads, zero-byte reads while idle, no socket pipes, no send loop
/// between the multiplexer and the socket: docs/architecture.md, "Sockets"). Every other connection is
/// handed to Kestrel as its own socket transport would, for the SNI router, the console and node relays; an agent
/// whose hello did not fit the first read still reaches its handler through <see cref="AgentAlpnMiddleware"/>.
/// </summary>
/// <remarks>Kestrel builds its transports before the actor system runs, so the node's services are resolved at the
/// first connection.</remarks>
internal sealed class HttpsPortTransport(IServiceProvider services, ILoggerFactory logs) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Lazy<IAgentConnections> _agents = new(services.GetRequiredService<IAgentConnections>);
    private readonly Lazy<ServerCertificate> _certificate = new(services.GetRequiredService<ServerCertificate>);
    private readonly Lazy<DomainSource> _domains = new(() => services.GetRequiredService<EdgeIdentity>().Domains);

    private IAgentConnections Agents => _agents.Value;

    private ServerCertificate Certificate => _certificate.Value;

    private DomainSource Domains => _domains.Value;

    /// <summary>How long a connection may stay silent before its first bytes; the SNI router waits as long.</summary>
    internal TimeSpan PeekTimeout { get; init; } = HttpsRouter.PeekTimeout;

    public bool CanBind(EndPoint endpoint) => endpoint is HttpsPortEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var address = (HttpsPortEndPoint)endpoint;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(new IPEndPoint(address.Address, address.Port));
            socket.Listen(512);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        return ValueTask.FromResult<IConnectionListener>(new Listener(this, socket, new HttpsPortEndPoint(bound.Address, bound.Port),
            logs.CreateLogger<HttpsPortTransport>()));
    }

    /// <summary>Whether a complete ClientHello at the start of <paramref name="start"/> is an agent's.</summary>
    /// <summary>ALPN <c>spokes/1</c> with no SNI, the domain's, or a former domain's (an agent that has not heard of the
    /// change yet: docs/architecture.md, "Domain at run time").</summary>
    internal static bool IsAgentHello(ReadOnlyMemory<byte> start, DomainSource domains)
    {
        if (ClientHelloParser.TryParse(new ReadOnlySequence<byte>(start), out var hello) != SniffResult.Found) return false;
        return hello!.Offers(ControlProtocol.Alpn) && (string.IsNullOrEmpty(hello.ServerName) || domains.IsCurrentOrFormer(hello.ServerName));
    }

    private sealed class Listener : IConnectionListener
    {
        private readonly HttpsPortTransport _transport;
        private readonly Socket _socket;
        private readonly ILogger _log;
        private readonly SocketConnectionContextFactory _contexts;
        private readonly Channel<Socket> _forKestrel = Channel.CreateUnbounded<Socket>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _unbound = new();
        private readonly CancellationTokenSource _disposed = new();
        private readonly Task _accepting;

        public Listener(HttpsPortTransport transport, Socket socket, EndPoint endPoint, ILogger log)
        {
            _transport = transport;
            _socket = socket;
            _log = log;
            EndPoint = endPoint;
            _contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), log);
            _accepting = AcceptLoopAsync();
        }

        public EndPoint EndPoint { get; }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                while (await _forKestrel.Reader.WaitToReadAsync(cancellationToken))
                {
                    if (_forKestrel.Reader.TryRead(out var socket)) return _contexts.Create(socket);
                }
            }
            catch (OperationCanceledException) when (_unbound.IsCancellationRequested)
            {
            }
            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            Stop();
            return ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            Stop();
            await _accepting;
            // Agent connections end with the node's listener (Kestrel's own connections have drained by now).
            _disposed.Cancel();
            while (_forKestrel.Reader.TryRead(out var socket)) socket.Dispose();
            _contexts.Dispose();
        }

        private void Stop()
        {
            if (_unbound.IsCancellationRequested) return;
            _unbound.Cancel();
            _socket.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_unbound.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync(_unbound.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                                               || (ex is SocketException && _unbound.IsCancellationRequested))
                {
                    break;
                }
                catch (SocketException ex)
                {
                    // A connection reset before it was accepted, or out of descriptors for a moment: keep accepting.
                    _log.LogDebug("accept on {EndPoint} failed: {Error}", EndPoint, ex.SocketErrorCode);
                    continue;
                }
                accepted.NoDelay = true;
                _ = SortAsync(accepted);
            }
            _forKestrel.Writer.TryComplete();
        }

        /// <summary>Waits for the connection's first bytes (no buffer held meanwhile), peeks at them, and serves an
        /// agent here or queues the socket for Kestrel. Silence past the peek timeout closes it, as the router would.</summary>
        private async Task SortAsync(Socket socket)
        {
            bool agent;
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
                deadline.CancelAfter(_transport.PeekTimeout);
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token);
                var buffer = ArrayPool<byte>.Shared.Rent(ClientHelloParser.MaxWireLength);
                try
                {
                    var seen = await socket.ReceiveAsync(buffer, SocketFlags.Peek, deadline.Token);
                    agent = seen > 0 && IsAgentHello(buffer.AsMemory(0, seen), _transport.Domains);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                socket.Dispose();
                return;
            }
            if (agent)
                await ServeAgentAsync(socket);
            else if (!_forKestrel.Writer.TryWrite(socket))
                socket.Dispose();
        }

        private async Task ServeAgentAsync(Socket socket)
        {
            using var scope = ConnectionLog.Begin(_log);
            var remote = socket.RemoteEndPoint;
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
                handshake.CancelAfter(ControlProtocol.HandshakeTimeout);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _transport.Certificate.Context,
                    ApplicationProtocols = [AgentAlpnMiddleware.Protocol],
                }, handshake.Token);
                await _transport.Agents.HandleAsync(remote, () => MuxSession.Create(tls, isClient: false), _disposed.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException
                                           or SocketException or ObjectDisposedException)
            {
                _log.LogDebug("agent connection from {Remote} ended: {Reason}", remote, ex.Message);
            }
            finally
            {
                await tls.DisposeAsync();
            }
        }
    }
}
