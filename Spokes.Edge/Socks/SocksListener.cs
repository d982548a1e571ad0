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
/// CONNECT, which <see cref="SocksConnector"/> takes where it goes. Before authentication a connection
/// counts as a pending handshake at <see cref="AgentGate"/> and refused credentials count as its failures.
/// </summary>
public sealed class SocksListener(
    SocksSettingsSource settings,
    PortBindAddress bindAddress,
    ServerCertificate certificate,
    AgentGate gate,
    IServiceProvider services,
    SocksConnector connector,
    ILogger<SocksListener> log) : BackgroundService
{
    /// <summary>How long each of the greeting, the authentication and the request may take.</summary>
    public static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger _log = log;
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly Dictionary<bool, (int Port, Socket Socket)> _bound = [];
    private AdminOperations _operations = null!;
    private CancellationToken _stopping;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
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
                if (PlainListener.TryListen(bindAddress.Address, port, out var error) is not { } socket)
                {
                    _log.LogWarning("socks: cannot listen on {Address}:{Port}{Tls}: {Reason}", bindAddress.Address, port, tls ? " (TLS)" : "", error);
                    continue;
                }
                lock (_bound) _bound[tls] = (port, socket);
                _log.LogInformation("socks: listening on {Address}:{Port}{Tls}", bindAddress.Address, port, tls ? " (TLS)" : "");
                _ = PlainListener.AcceptAsync(socket, client => ServeSocketAsync(client, tls), _stopping);
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task ServeSocketAsync(Socket client, bool tls)
    {
        using var scope = ConnectionLog.Begin(_log);
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
            connection = PipeConnection.Over(ssl, remote, client.LocalEndPoint);
        }
        else
        {
            connection = PipeConnection.Over(client);
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
        await connector.ConnectAsync(connection, tunnelId, request,
            (reply, bound) => new ValueTask(SocksProtocol.WriteReplyAsync(output, reply, bound).AsTask()), _stopping);
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
}
