using System.Net;
using Microsoft.AspNetCore.Connections;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;
using Spokes.Edge.NodeRelay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Traffic;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Relay;

/// <summary>A stream toward a tunnel's agent: direct when this node holds the session, else through the
/// relay link to the node that does (which then records the connection).</summary>
public sealed record TunnelStream(MuxStream Stream, string TunnelId, bool Local);

/// <summary>
/// Where a routed public connection goes: the route table names the tunnel and the node holding it; a
/// stream is opened to the agent (directly or through that node); the pipes move the bytes; the recorder
/// hears the totals when it closes. Unmatched traffic is closed and not recorded.
/// </summary>
public sealed class PublicRelay(RouteTableSource routes, LocalLinks links, NodeRelayClient peers, TrafficRecorder recorder,
    EdgeIdentity identity)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Opens a stream for a visitor of <paramref name="domain"/> (HTTP/TLS) or <paramref name="port"/>
    /// (TCP); null when nothing routes there.</summary>
    public async Task<TunnelStream?> OpenAsync(StreamOpenHeader header, CancellationToken ct)
    {
        var table = routes.Current;
        var found = header.Domain is { } domain ? table.ByDomain.TryGetValue(domain, out var presence)
            : table.ByPort.TryGetValue(header.Port ?? 0, out presence);
        if (!found) return null;
        try
        {
            if (presence!.Node == identity.NodeName)
                return links.TryGet(presence.TunnelId, out var link)
                    ? new TunnelStream(await link.OpenStreamAsync(header, ct), link.TunnelId, true)
                    : null;
            return new TunnelStream(await peers.OpenAsync(presence.Relay, new RelayHeader(presence.TunnelId, header), ct),
                presence.TunnelId, false);
        }
        catch (Exception ex) when (ex is MuxException or IOException or OperationCanceledException or System.Net.Sockets.SocketException
                                       or System.Security.Authentication.AuthenticationException)
        {
            return null;
        }
    }

    /// <summary>Relays a Kestrel connection (HTTP or raw TLS) to the tunnel that owns <paramref name="domain"/>.</summary>
    public async Task ServeAsync(ConnectionContext connection, StreamKind kind, string domain)
    {
        var client = ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        var target = await OpenAsync(new StreamOpenHeader { Kind = kind, Domain = domain, ClientAddress = client }, connection.ConnectionClosed);
        if (target is null)
        {
            connection.Abort();
            return;
        }
        await using (target.Stream)
        {
            var bytes = await PipeRelay.RelayAsync(connection.Transport, target.Stream, IdleTimeout, connection.ConnectionClosed);
            if (target.Local)
                Record(target.TunnelId, $"{Rule(kind)}:{domain}", client, bytes.FromClient, bytes.ToClient, started);
        }
    }

    public void Record(string tunnelId, string rule, string client, long fromClient, long toClient, long startedTicks) =>
        recorder.Record(tunnelId, new ConnectionRecord(DateTimeOffset.UtcNow, rule, client, fromClient, toClient,
            Environment.TickCount64 - startedTicks, identity.NodeName));

    public static string Rule(StreamKind kind) => kind switch
    {
        StreamKind.Http => "http",
        StreamKind.Tls => "tls",
        _ => "tcp",
    };

    public static string ClientAddress(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) + ":" + ip.Port : "unknown";
}

/// <summary>This node's name in presence entries (host:port of its cluster address), the server domain, and
/// the endpoint peers relay through (cluster host, HTTPS port).</summary>
public sealed record EdgeIdentity(string NodeName, string Domain, string RelayEndpoint);
