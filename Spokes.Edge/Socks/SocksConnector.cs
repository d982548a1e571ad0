using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Socks;

/// <summary>How the node answers a connection request (SOCKS reply message, or a port map's one byte).</summary>
public delegate ValueTask SocksAnswer(SocksReply reply, IPEndPoint? bound);

/// <summary>
/// Where an authenticated SOCKS client's CONNECT — or a connection to one of an agent's port maps — goes
/// (docs/architecture.md, "SOCKS5"): <c>D:80</c> and <c>D:443</c> for a tunnel's domain D to the HTTP and HTTPS
/// routers as a visitor's connection; <c>&lt;server domain&gt;:P</c> to leased port P; anything else only as
/// <see cref="SocksPolicy"/> lets through, connected from this node. The connection is recorded like every relayed one.
/// </summary>
public sealed class SocksConnector(
    SocksSettingsSource settings,
    TunnelOptionsSource options,
    RouteTableSource routes,
    EdgeIdentity identity,
    PublicRelay relay,
    HttpRouter httpRouter,
    HttpsRouter httpsRouter,
    VisitorAdmission admission,
    LimitsConfig limits,
    ILogger<SocksConnector> log)
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private OwnListeners? _own;

    /// <summary>This node's listening ports: the listeners of config.json, the SOCKS ports in force, the leased range.</summary>
    private OwnListeners Own => _own ??= OwnListeners.OfThisMachine(port => settings.IsOwnPort(port, options.Range));

    /// <summary>Connects <paramref name="connection"/> (authenticated as tunnel <paramref name="tunnelId"/>) to
    /// <paramref name="request"/>'s destination and relays until either side ends; <paramref name="answer"/> tells
    /// the client whether it worked before any byte of the destination.</summary>
    public async Task ConnectAsync(ConnectionContext connection, string tunnelId, SocksRequest request, SocksAnswer answer,
        CancellationToken stopping)
    {
        var table = routes.Current;
        if (request.Host is { } host)
        {
            var own = string.Equals(host.TrimEnd('.'), identity.Domain, StringComparison.OrdinalIgnoreCase);
            if (own)
            {
                if (table.ByPort.ContainsKey(request.Port)) await LeaseAsync(connection, request.Port, answer, stopping);
                else await RefuseAsync(answer, tunnelId, connection, request, SocksReply.HostUnreachable, "no tunnel holds that port");
                return;
            }
            if (table.ByDomain.ContainsKey(host))
            {
                if (request.Port is not (80 or 443))
                {
                    await RefuseAsync(answer, tunnelId, connection, request, SocksReply.NotAllowed, "a tunnel's domain is reached on 80 or 443");
                    return;
                }
                await answer(SocksReply.Succeeded, null);
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
                await RefuseAsync(answer, tunnelId, connection, request, SocksReply.HostUnreachable, "no tunnel online has that name");
                return;
            }
        }
        await ExternalAsync(connection, tunnelId, request, answer, stopping);
    }

    private async Task LeaseAsync(ConnectionContext connection, int port, SocksAnswer answer, CancellationToken stopping)
    {
        var client = PublicRelay.ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        var target = await relay.OpenAsync(new StreamOpenHeader { Kind = StreamKind.Tcp, Port = port, ClientAddress = client },
            (connection.RemoteEndPoint as IPEndPoint)?.Address, stopping);
        if (target is null)
        {
            await answer(SocksReply.HostUnreachable, null);
            return;
        }
        using var active = relay.Open(target);
        await using (target)
        {
            await answer(SocksReply.Succeeded, null);
            var bytes = await BytePump.RelayAsync(connection.Transport, target.Stream, active.Counting(TcpPolicy()), stopping);
            if (target.Local) relay.Record(target.TunnelId, $"tcp:{port}", client, bytes.BytesToStream, bytes.BytesFromStream, started);
        }
    }

    /// <summary>A destination outside the tunnels: resolved once, decided on the address, connected to that address.</summary>
    private async Task ExternalAsync(ConnectionContext connection, string tunnelId, SocksRequest request, SocksAnswer answer,
        CancellationToken stopping)
    {
        var allow = settings.Allow;
        if (allow.Networks.Count == 0 && (request.Host is null || !allow.NamesHost(request.Host)))
        {
            await RefuseAsync(answer, tunnelId, connection, request, SocksReply.NotAllowed, "not in socks.allow");
            return;
        }
        IPAddress[] candidates;
        if (request.Address is { } literal) candidates = [literal];
        else
        {
            try
            {
                using var resolve = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                resolve.CancelAfter(ResolveTimeout);
                candidates = await Dns.GetHostAddressesAsync(request.Host!, resolve.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ArgumentException)
            {
                await RefuseAsync(answer, tunnelId, connection, request, SocksReply.HostUnreachable, "the name does not resolve");
                return;
            }
        }
        string refusal = "the name has no address";
        IPAddress? chosen = null;
        foreach (var candidate in candidates)
        {
            if (SocksPolicy.Refusal(request.Host, candidate, request.Port, allow, Own) is { } why)
            {
                refusal = why;
                continue;
            }
            chosen = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            break;
        }
        if (chosen is null)
        {
            await RefuseAsync(answer, tunnelId, connection, request, candidates.Length == 0 ? SocksReply.HostUnreachable : SocksReply.NotAllowed, refusal);
            return;
        }
        using var ticket = admission.TryAdmit(tunnelId, (connection.RemoteEndPoint as IPEndPoint)?.Address);
        if (ticket is null)
        {
            await RefuseAsync(answer, tunnelId, connection, request, SocksReply.NotAllowed, "the client holds its connection limit");
            return;
        }
        var socket = new Socket(chosen.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(stopping);
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
            await RefuseAsync(answer, tunnelId, connection, request, reply, $"connecting to {chosen} failed");
            return;
        }
        var client = PublicRelay.ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        await using var destination = PipeConnection.Over(socket);
        await answer(SocksReply.Succeeded, destination.LocalEndPoint as IPEndPoint);
        using var active = relay.Meter.Open(tunnelId);
        var bytes = await BytePump.RelayAsync(connection.Transport, destination.Transport, active.Counting(TcpPolicy()), stopping);
        relay.Record(tunnelId, $"socks:{request.Destination}", client, bytes.BytesToStream, bytes.BytesFromStream, started);
    }

    private RelayPolicy TcpPolicy() =>
        RelayPolicy.IdleFor(limits.TcpIdleSeconds == 0 ? null : TimeSpan.FromSeconds(limits.TcpIdleSeconds), relay.Meter.AddBytes);

    private async Task RefuseAsync(SocksAnswer answer, string tunnelId, ConnectionContext connection, SocksRequest request, SocksReply reply,
        string why)
    {
        log.LogDebug("socks: tunnel {Tunnel} from {Remote} refused {Destination} ({Reply}): {Why}", tunnelId, connection.RemoteEndPoint,
            request.Destination, reply, why);
        await answer(reply, null);
    }
}
