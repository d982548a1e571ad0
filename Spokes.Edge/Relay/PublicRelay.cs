using System.Net;
using Microsoft.AspNetCore.Connections;
using Spokes.Actors.Tunnels;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Traffic;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Relay;

/// <summary>
/// Where a routed public connection goes: the route table names the tunnel and the node holding it; the
/// local link opens a stream; the pipes move the bytes; the recorder hears the totals when it closes.
/// Unmatched traffic is closed and not recorded.
/// </summary>
public sealed class PublicRelay(RouteTableSource routes, LocalLinks links, TrafficRecorder recorder, EdgeIdentity identity)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    public bool TryFindLocal(RouteTable table, string? domain, int? port, out TunnelLink link)
    {
        link = null!;
        var found = domain is not null ? table.ByDomain.TryGetValue(domain, out var presence) : table.ByPort.TryGetValue(port ?? 0, out presence);
        // A session held by another node is not served yet: the cross-node relay hop is future work.
        return found && presence!.Node == identity.NodeName && links.TryGet(presence.TunnelId, out link);
    }

    /// <summary>Relays a Kestrel connection (HTTP or raw TLS) to the tunnel that owns <paramref name="domain"/>.</summary>
    public async Task ServeAsync(ConnectionContext connection, StreamKind kind, string domain)
    {
        if (!TryFindLocal(routes.Current, domain, null, out var link))
        {
            connection.Abort();
            return;
        }
        var client = ClientAddress(connection.RemoteEndPoint);
        var started = Environment.TickCount64;
        MuxStream stream;
        try
        {
            stream = await link.OpenStreamAsync(new StreamOpenHeader { Kind = kind, Domain = domain, ClientAddress = client },
                connection.ConnectionClosed);
        }
        catch (Exception ex) when (ex is MuxException or IOException or OperationCanceledException)
        {
            connection.Abort();
            return;
        }
        await using (stream)
        {
            var bytes = await PipeRelay.RelayAsync(connection.Transport, stream, IdleTimeout, connection.ConnectionClosed);
            recorder.Record(link.TunnelId, new ConnectionRecord(DateTimeOffset.UtcNow, $"{Rule(kind)}:{domain}", client,
                bytes.FromClient, bytes.ToClient, Environment.TickCount64 - started, identity.NodeName));
        }
    }

    public static string Rule(StreamKind kind) => kind switch
    {
        StreamKind.Http => "http",
        StreamKind.Tls => "tls",
        _ => "tcp",
    };

    public static string ClientAddress(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) + ":" + ip.Port : "unknown";
}

/// <summary>This node's name in presence entries (host:port of its cluster address) and the server domain.</summary>
public sealed record EdgeIdentity(string NodeName, string Domain);
