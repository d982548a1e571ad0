using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tokens;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Tls;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Socks;

/// <summary>
/// The SOCKS5 entry point (docs/architecture.md, "SOCKS5"): <c>socks.port</c> plain and <c>socks.tlsPort</c> inside
/// TLS with the server certificate, bound on the host of <c>listen.https</c> and rebound whenever the cluster's SOCKS
/// settings change. A client authenticates as a tunnel (username: its id, password: its auth token) and asks for
/// CONNECT: <c>D:80</c> and <c>D:443</c> for a tunnel's domain D are handed to the HTTP and HTTPS routers exactly as a
/// visitor's connection to those ports; <c>&lt;server domain&gt;:P</c> is leased port P; anything else only as
/// <see cref="SocksPolicy"/> lets through, connected directly from this node. Before authentication a connection
/// counts as a pending handshake at <see cref="AgentGate"/> and refused credentials count as its failures.
/// </summary>
public sealed class SocksListener(
    SocksSettingsSource settings,
    TunnelOptionsSource options,
    PortBindAddress bindAddress,
    ServerCertificate certificate,
    AgentGate gate,
    IServiceProvider services,
    RouteTableSource routes,
    EdgeIdentity identity,
    PublicRelay relay,
    HttpRouter httpRouter,
    HttpsRouter httpsRouter,
    VisitorAdmission admission,
    LimitsConfig limits,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>How long each of the greeting, the authentication and the request may take.</summary>
    public static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly ILogger _log = loggers.CreateLogger<SocksListener>();
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly Dictionary<bool, (int Port, Socket Socket)> _bound = [];
    private OwnListeners _own = null!;
    private AdminOperations _operations = null!;
    private CancellationToken _stopping;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        _own = OwnListeners.OfThisMachine(IsOwnPort);
        // Resolved once the actor system runs (hosted services are all built before any starts).
        _operations = services.GetRequiredService<AdminOperations>();
        settings.Changed += next => _ = ReconcileAsync();
        stoppingToken.Register(() =>
        {
            lock (_bound)
                foreach (var (_, socket) in _bound.Values) socket.Dispose();
        });
        return ReconcileAsync();
    }

    private bool IsOwnPort(int port)
    {
        var now = settings.Current;
        return settings.Reserved.ContainsKey(port) || port == now.Port || port == now.TlsPort
               || port >= options.Range.Begin && port <= options.Range.End;
    }

    /// <summary>Binds what the settings ask for and closes what they no longer do; open connections run on.</summary>
    private async Task ReconcileAsync()
    {
        await _sync.WaitAsync();
        try
        {
            var now = settings.Current;
            foreach (var (tls, port) in new[] { (false, now.Port), (true, now.TlsPort) })
            {
                if (_stopping.IsCancellationRequested) return;
                lock (_bound)
                {
                    if (_bound.TryGetValue(tls, out var held) && held.Port == port) continue;
                    if (_bound.Remove(tls, out held))
                    {
                        held.Socket.Dispose();
                        _log.LogInformation("socks: stopped listening on {Port}{Tls}", held.Port, tls ? " (TLS)" : "");
                    }
                }
                if (port == 0) continue;
                var socket = new Socket(bindAddress.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(bindAddress.Address, port));
                    socket.Listen(512);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    _log.LogWarning("socks: cannot listen on {Address}:{Port}{Tls}: {Reason}", bindAddress.Address, port, tls ? " (TLS)" : "",
                        ex.SocketErrorCode);
                    continue;
                }
                lock (_bound) _bound[tls] = (port, socket);
                _log.LogInformation("socks: listening on {Address}:{Port}{Tls}", bindAddress.Address, port, tls ? " (TLS)" : "");
                _ = AcceptAsync(socket, tls);
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task AcceptAsync(Socket listener, bool tls)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            _ = ServeSocketAsync(client, tls);
        }
    }

    private async Task ServeSocketAsync(Socket client, bool tls)
    {
        client.NoDelay = true;
        var remote = client.RemoteEndPoint as IPEndPoint;
        var pending = gate.TryBeginHandshake(remote?.Address);
        if (pending is null)
        {
            client.Dispose();
            return;
        }
        ConnectionContext connection;
        if (tls)
        {
            var ssl = new SslStream(new NetworkStream(client, ownsSocket: true), leaveInnerStreamOpen: false);
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                handshake.CancelAfter(PhaseTimeout);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = certificate.Context },
                    handshake.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                pending.Dispose();
                await ssl.DisposeAsync();
                return;
            }
            connection = new StreamConnection(ssl, null, remote, client.LocalEndPoint);
        }
        else
        {
            connection = StreamConnection.Over(client);
        }
        try
        {
            await ServeAsync(connection, pending);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException
                                       or MuxException or ConnectionResetException or InvalidOperationException)
        {
            _log.LogDebug("socks: connection from {Remote} ended: {Reason}", remote, ex.Message);
        }
        finally
        {
            pending.Dispose();
            await connection.DisposeAsync();
        }
    }

    private async Task ServeAsync(ConnectionContext connection, IDisposable pending)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        string tunnelId;
        SocksRequest request;
        using (var phase = Phase(connection))
        {
            if (await SocksProtocol.ReadGreetingAsync(input, phase.Token) is not { } methods) return;
            if (!methods.Contains(SocksProtocol.UserPassword))
            {
                await SocksProtocol.WriteMethodAsync(output, SocksProtocol.NoAcceptableMethod);
                return;
            }
            await SocksProtocol.WriteMethodAsync(output, SocksProtocol.UserPassword);
        }
        using (var phase = Phase(connection))
        {
            var credentials = await SocksProtocol.ReadCredentialsAsync(input, phase.Token);
            if (credentials is not { } given) return;
            var (user, password) = given;
            if (!await AuthenticateAsync(user, password, address))
            {
                await SocksProtocol.WriteAuthResultAsync(output, ok: false);
                return;
            }
            tunnelId = user;
            await SocksProtocol.WriteAuthResultAsync(output, ok: true);
        }
        using (var phase = Phase(connection))
        {
            if (await SocksProtocol.ReadRequestAsync(input, phase.Token) is not { } read) return;
            request = read;
        }
        pending.Dispose();
        if (request.Host is null && request.Address is null)
        {
            await SocksProtocol.WriteReplyAsync(output, SocksReply.AddressTypeNotSupported);
            return;
        }
        if (request.Command != SocksRequest.Connect)
        {
            await SocksProtocol.WriteReplyAsync(output, SocksReply.CommandNotSupported);
            return;
        }
        await ConnectAsync(connection, tunnelId, request);
    }

    private CancellationTokenSource Phase(ConnectionContext connection)
    {
        var phase = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, _stopping);
        phase.CancelAfter(PhaseTimeout);
        return phase;
    }

    /// <summary>True when <paramref name="password"/> is the active auth token of tunnel <paramref name="user"/>. An
    /// address with too many refusals within a minute is refused without asking.</summary>
    private async Task<bool> AuthenticateAsync(string user, string password, IPAddress? address)
    {
        if (gate.RetryAfter(address) is not null) return false;
        var reply = await _operations.AuthenticateAgentAsync(password);
        if (reply is AuthTokenReply { Token.TunnelId: var tunnel } && tunnel == user) return true;
        gate.Failed(address);
        _log.LogInformation("socks: refused credentials for tunnel {Tunnel} from {Address}", user.Length > 64 ? user[..64] : user, address);
        return false;
    }

    private async Task ConnectAsync(ConnectionContext connection, string tunnelId, SocksRequest request)
    {
        var table = routes.Current;
        if (request.Host is { } host)
        {
            var own = string.Equals(host.TrimEnd('.'), identity.Domain, StringComparison.OrdinalIgnoreCase);
            if (own)
            {
                if (table.ByPort.ContainsKey(request.Port)) await LeaseAsync(connection, request.Port);
                else await RefuseAsync(connection, tunnelId, request, SocksReply.HostUnreachable, "no tunnel holds that port");
                return;
            }
            if (table.ByDomain.ContainsKey(host))
            {
                if (request.Port is not (80 or 443))
                {
                    await RefuseAsync(connection, tunnelId, request, SocksReply.NotAllowed, "a tunnel's domain is reached on 80 or 443");
                    return;
                }
                await SocksProtocol.WriteReplyAsync(connection.Transport.Output, SocksReply.Succeeded);
                // From here the connection is a visitor's of the HTTP or HTTPS port; the server's own name goes nowhere.
                var router = request.Port == 80 ? (PeekingRouter)httpRouter : httpsRouter;
                await router.OnConnectionAsync(connection, c =>
                {
                    c.Abort();
                    return Task.CompletedTask;
                });
                return;
            }
            if (host.EndsWith("." + identity.Domain, StringComparison.OrdinalIgnoreCase) && !settings.Allow.NamesHost(host))
            {
                await RefuseAsync(connection, tunnelId, request, SocksReply.HostUnreachable, "no tunnel online has that name");
                return;
            }
        }
        await ExternalAsync(connection, tunnelId, request);
    }

    private async Task LeaseAsync(ConnectionContext connection, int port)
    {
        var client = PublicRelay.ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        var target = await relay.OpenAsync(new StreamOpenHeader { Kind = StreamKind.Tcp, Port = port, ClientAddress = client },
            (connection.RemoteEndPoint as IPEndPoint)?.Address, _stopping);
        if (target is null)
        {
            await SocksProtocol.WriteReplyAsync(connection.Transport.Output, SocksReply.HostUnreachable);
            return;
        }
        using var active = relay.Open(target);
        await using (target)
        {
            await SocksProtocol.WriteReplyAsync(connection.Transport.Output, SocksReply.Succeeded);
            var bytes = await BytePump.RelayAsync(connection.Transport, target.Stream, TcpPolicy(), _stopping);
            if (target.Local) relay.Record(target.TunnelId, $"tcp:{port}", client, bytes.BytesToStream, bytes.BytesFromStream, started);
        }
    }

    /// <summary>A destination outside the tunnels: resolved once, decided on the address, connected to that address.</summary>
    private async Task ExternalAsync(ConnectionContext connection, string tunnelId, SocksRequest request)
    {
        var allow = settings.Allow;
        if (allow.Networks.Count == 0 && (request.Host is null || !allow.NamesHost(request.Host)))
        {
            await RefuseAsync(connection, tunnelId, request, SocksReply.NotAllowed, "not in socks.allow");
            return;
        }
        IPAddress[] candidates;
        if (request.Address is { } literal) candidates = [literal];
        else
        {
            try
            {
                using var resolve = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                resolve.CancelAfter(ResolveTimeout);
                candidates = await Dns.GetHostAddressesAsync(request.Host!, resolve.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ArgumentException)
            {
                await RefuseAsync(connection, tunnelId, request, SocksReply.HostUnreachable, "the name does not resolve");
                return;
            }
        }
        string? refusal = "the name has no address";
        IPAddress? chosen = null;
        foreach (var candidate in candidates)
        {
            refusal = SocksPolicy.Refusal(request.Host, candidate, request.Port, allow, _own);
            if (refusal is not null) continue;
            chosen = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            break;
        }
        if (chosen is null)
        {
            await RefuseAsync(connection, tunnelId, request, candidates.Length == 0 ? SocksReply.HostUnreachable : SocksReply.NotAllowed, refusal!);
            return;
        }
        using var ticket = admission.TryAdmit(tunnelId, (connection.RemoteEndPoint as IPEndPoint)?.Address);
        if (ticket is null)
        {
            await RefuseAsync(connection, tunnelId, request, SocksReply.NotAllowed, "the client holds its connection limit");
            return;
        }
        var socket = new Socket(chosen.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            connect.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(new IPEndPoint(chosen, request.Port), connect.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var reply = (ex as SocketException)?.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => SocksReply.ConnectionRefused,
                SocketError.NetworkUnreachable or SocketError.NetworkDown => SocksReply.NetworkUnreachable,
                _ => SocksReply.HostUnreachable,
            };
            await RefuseAsync(connection, tunnelId, request, reply, $"connecting to {chosen} failed");
            return;
        }
        var client = PublicRelay.ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        await using var destination = StreamConnection.Over(socket);
        await SocksProtocol.WriteReplyAsync(connection.Transport.Output, SocksReply.Succeeded, destination.LocalEndPoint as IPEndPoint);
        using var active = relay.Meter.Open(tunnelId);
        var bytes = await BytePump.RelayAsync(connection.Transport, destination.Transport, TcpPolicy(), _stopping);
        relay.Record(tunnelId, $"socks:{request.Destination}", client, bytes.BytesToStream, bytes.BytesFromStream, started);
    }

    private RelayPolicy TcpPolicy() =>
        RelayPolicy.IdleFor(limits.TcpIdleSeconds == 0 ? null : TimeSpan.FromSeconds(limits.TcpIdleSeconds), relay.Meter.AddBytes);

    private async Task RefuseAsync(ConnectionContext connection, string tunnelId, SocksRequest request, SocksReply reply, string why)
    {
        _log.LogDebug("socks: tunnel {Tunnel} from {Remote} refused {Destination} ({Reply}): {Why}", tunnelId, connection.RemoteEndPoint,
            request.Destination, reply, why);
        await SocksProtocol.WriteReplyAsync(connection.Transport.Output, reply);
    }
}
