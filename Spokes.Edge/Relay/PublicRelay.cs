using System.Net;
using Microsoft.AspNetCore.Connections;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;
using Spokes.Actors.Tunnels;
using Spokes.Edge.NodeRelay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Traffic;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Relay;

/// <summary>A stream toward a tunnel's agent: direct when this node holds the session, else through the
/// relay link to the node that does (which then records the connection). Disposing it closes the stream and
/// gives back the visitor's admission.</summary>
public sealed record TunnelStream(MuxStream Stream, string TunnelId, bool Local, IDisposable Admission) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stream.DisposeAsync();
        }
        finally
        {
            Admission.Dispose();
        }
    }
}

/// <summary>
/// Where a routed public connection goes: the route table names the tunnel and the nodes holding a link of it;
/// a stream is opened to the agent through this node's link when there is one, else through a peer that holds
/// one (which then records the connection); the pipes move the bytes; the recorder hears the totals when it
/// closes. Unmatched traffic is closed and not recorded.
/// </summary>
public sealed class PublicRelay(RouteTableSource routes, LocalLinks links, NodeRelayClient peers, TrafficRecorder recorder,
    EdgeIdentity identity, NodeReadiness readiness, TrafficMeter meter, VisitorAdmission admission)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    private int _spread;

    public TrafficMeter Meter => meter;

    /// <summary>Opens a stream for a visitor of <paramref name="header"/>'s domain (HTTP/TLS) or port (TCP);
    /// null when nothing routes there, the rule's firewall lists refuse <paramref name="visitor"/>, or no link
    /// answered.</summary>
    public async Task<TunnelStream?> OpenAsync(StreamOpenHeader header, IPAddress? visitor, CancellationToken ct)
    {
        var table = routes.Current;
        var found = header.Domain is { } domain ? table.ByDomain.TryGetValue(domain, out var target)
            : table.ByPort.TryGetValue(header.Port ?? 0, out target);
        if (!found || !table.Admits(header.Domain, header.Port, visitor)) return null;
        if (admission.TryAdmit(target!.TunnelId, visitor) is not { } ticket) return null;
        // A tunnel's automatic hostname: the agent hears the rule's own domain, and the name the visitor used.
        if (header.Domain is { } asked && table.Aliases.TryGetValue(asked, out var ruleDomain))
            header = header with { Domain = ruleDomain, Alias = asked };
        var opened = await OpenThroughAsync(table, target, header, ticket, ct);
        if (opened is null) ticket.Dispose();
        return opened;
    }

    private async Task<TunnelStream?> OpenThroughAsync(RouteTable table, TunnelTarget target, StreamOpenHeader header, IDisposable ticket,
        CancellationToken ct)
    {
        foreach (var link in Candidates(table, target))
        {
            try
            {
                if (link.Node == identity.NodeName)
                {
                    if (links.TryGet(target.TunnelId, out var local) && local.SessionId == target.SessionId && local.Accepting)
                        return new TunnelStream(await local.OpenStreamAsync(header, ct), local.TunnelId, true, ticket);
                    continue;
                }
                return new TunnelStream(await peers.OpenAsync(link.Relay, new RelayHeader(target.TunnelId, header), ct), target.TunnelId, false, ticket);
            }
            catch (Exception ex) when (ex is MuxException or IOException or TimeoutException or System.Net.Sockets.SocketException
                                           or System.Security.Authentication.AuthenticationException
                                           || ex is OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Try the next link.
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>This node's link first (unless it drains), then peers that are not draining and answer, in
    /// turn so visitors spread; draining links last.</summary>
    private IEnumerable<LinkPresence> Candidates(RouteTable table, TunnelTarget target)
    {
        var selfDraining = readiness.Draining;
        var local = target.Links.FirstOrDefault(l => l.Node == identity.NodeName);
        if (local is not null && !selfDraining) yield return local;
        var remote = target.Links.Where(l => l.Node != identity.NodeName && !peers.IsSuspect(l.Relay)).ToList();
        var start = remote.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _spread) % remote.Count);
        var rotated = remote.Skip(start).Concat(remote.Take(start)).ToList();
        foreach (var link in rotated.Where(l => !table.IsDraining(l.Node))) yield return link;
        if (local is not null && selfDraining) yield return local;
        foreach (var link in rotated.Where(l => table.IsDraining(l.Node))) yield return link;
    }

    /// <summary>Relays a Kestrel connection (HTTP or raw TLS) to the tunnel that owns <paramref name="domain"/>.</summary>
    public Task ServeAsync(ConnectionContext connection, StreamKind kind, string domain) =>
        ServeAsync(connection.Transport, connection.RemoteEndPoint, kind, domain, connection.Abort, connection.ConnectionClosed);

    /// <summary>Relays a visitor's byte stream (a connection's transport, or the plaintext of TLS the edge terminated)
    /// to the tunnel that owns <paramref name="domain"/>; <paramref name="abort"/> when nothing takes it.</summary>
    public async Task ServeAsync(System.IO.Pipelines.IDuplexPipe visitor, EndPoint? remote, StreamKind kind, string domain, Action abort,
        CancellationToken closed, bool edgeTls = false)
    {
        var client = ClientAddress(remote);
        var started = Environment.TickCount64;
        var target = await OpenAsync(new StreamOpenHeader { Kind = kind, Domain = domain, ClientAddress = client, EdgeTls = edgeTls ? true : null },
            (remote as IPEndPoint)?.Address, closed);
        if (target is null)
        {
            abort();
            return;
        }
        using var active = Open(target);
        await using (target)
        {
            var bytes = await BytePump.RelayAsync(visitor, target.Stream, active.Counting(PolicyFor(kind)), closed);
            if (target.Local)
                Record(target.TunnelId, $"{Rule(kind)}:{domain}", client, bytes.BytesToStream, bytes.BytesFromStream, started);
        }
    }

    /// <summary>HTTP relays are cut between answers while the node drains (keep-alive visitors reconnect through the
    /// balancer, elsewhere); TLS and TCP run to their end or the drain's.</summary>
    public RelayPolicy PolicyFor(StreamKind kind) => new(() => IdleTimeout, () => readiness.Draining, kind == StreamKind.Http, meter.AddBytes);

    /// <summary>Counts a visitor connection as open (per tunnel when this node's link carries it, else as a relay hop).</summary>
    public TrafficMeter.Scope Open(TunnelStream target) => meter.Open(target.Local ? target.TunnelId : null);

    public void Record(string tunnelId, string rule, string client, long fromClient, long toClient, long startedTicks)
    {
        meter.Closed(tunnelId);
        recorder.Record(tunnelId, new ConnectionRecord(DateTimeOffset.UtcNow, rule, client, fromClient, toClient,
            Environment.TickCount64 - startedTicks, identity.NodeName));
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

/// <summary>This node's names: its name in presence entries (host:port of its cluster address), the server
/// domain (in force now: it can change at run time), the endpoint peers relay through (cluster host, HTTPS port) and
/// the endpoint agents dial (<c>cluster.advertise</c>).</summary>
public sealed record EdgeIdentity(string NodeName, Spokes.Actors.Gateway.DomainSource Domains, string RelayEndpoint, string Advertise)
{
    public EdgeIdentity(string nodeName, string domain, string relayEndpoint, string advertise)
        : this(nodeName, new Spokes.Actors.Gateway.DomainSource(domain), relayEndpoint, advertise)
    {
    }

    public string Domain => Domains.Current;
}
