using Akka.Actor;
using Prometheus;
using Spokes.Actors.Nodes;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Edge.Tls;
using Spokes.Edge.Traffic;

namespace Spokes.Edge.Metrics;

/// <summary>
/// What <c>/metrics</c> exports for this node, in Prometheus' text format (prometheus-net): per tunnel the bytes and
/// connections this node's links carried and whether the tunnel is online anywhere; per node agents, links, visitors,
/// relay hops, readiness, store latency, cluster members and the served certificate's expiry; and the .NET runtime's
/// and ASP.NET Core's own meters (GC, thread pool, Kestrel connections). Figures are read when scraped, from the
/// counters the data plane keeps anyway — nothing is counted twice. Per-tunnel series are capped at
/// <see cref="TrafficMeter.MaxTunnelSeries"/> (further tunnels are summed as <c>tunnel="_other"</c>).
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly IDisposable _meters;

    public NodeMetrics(TrafficMeter traffic, LocalLinks links, RouteTableSource routes, NodeReadiness readiness, ServerCertificate certificate,
        ActorSystem system)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        string[] tunnel = ["tunnel"];
        var bytesIn = factory.CreateCounter("spokes_tunnel_received_bytes_total", "Bytes from visitors to the tunnel's services, carried by this node's link", tunnel);
        var bytesOut = factory.CreateCounter("spokes_tunnel_sent_bytes_total", "Bytes from the tunnel's services back to visitors, carried by this node's link", tunnel);
        var closed = factory.CreateCounter("spokes_tunnel_connections_total", "Visitor connections of the tunnel that ended, carried by this node's link", tunnel);
        var open = factory.CreateGauge("spokes_tunnel_open_connections", "Visitor connections of the tunnel open now on this node's link", tunnel);
        var online = factory.CreateGauge("spokes_tunnel_online", "1 while the tunnel's agent is connected to any node of the cluster", tunnel);
        var agents = factory.CreateGauge("spokes_node_agent_connections", "Agent connections to this node");
        var linked = factory.CreateGauge("spokes_node_tunnels", "Tunnels with a link (an agent connection) on this node");
        var visitors = factory.CreateCounter("spokes_node_visitor_connections_total", "Visitor connections this node relayed");
        var active = factory.CreateGauge("spokes_node_open_visitor_connections", "Visitor connections this node relays now");
        var bytes = factory.CreateCounter("spokes_node_relayed_bytes_total", "Bytes this node relayed, both directions");
        var hops = factory.CreateCounter("spokes_node_relay_hops_total", "Visitor connections this node passed to another node's link");
        var ready = factory.CreateGauge("spokes_node_ready", "1 while this node reports ready (as /readyz)");
        var draining = factory.CreateGauge("spokes_node_draining", "1 while this node drains");
        var store = factory.CreateGauge("spokes_store_latency_seconds", "How long the store took to answer the last probe (every second)");
        var members = factory.CreateGauge("spokes_cluster_members", "Members of the cluster by status, as this node sees them", "status");
        var unreachable = factory.CreateGauge("spokes_cluster_unreachable_members", "Members this node cannot reach");
        var expiry = factory.CreateGauge("spokes_certificate_expiry_timestamp_seconds",
            "When the certificate served for the server's domain expires (Unix time): Let's Encrypt, custom or self-signed");
        var cluster = Akka.Cluster.Cluster.Get(system);
        var published = new HashSet<string>(StringComparer.Ordinal);

        _registry.AddBeforeCollectCallback(() =>
        {
            // Two scrapes at once collect one after the other (the series of gone tunnels are tracked between them).
            lock (published)
            {
                foreach (var (id, t) in traffic.Tunnels)
                {
                    bytesIn.WithLabels(id).IncTo(t.BytesIn);
                    bytesOut.WithLabels(id).IncTo(t.BytesOut);
                    closed.WithLabels(id).IncTo(t.Closed);
                    open.WithLabels(id).Set(t.Open);
                }
                var table = routes.Current;
                var known = traffic.Tunnels.Select(t => t.Key).Where(id => id != TrafficMeter.OtherTunnels).ToHashSet();
                foreach (var id in table.ByTunnel.Keys.Take(TrafficMeter.MaxTunnelSeries)) known.Add(id);
                foreach (var id in known) online.WithLabels(id).Set(table.ByTunnel.ContainsKey(id) ? 1 : 0);
                // A tunnel that was online and has gone without carrying traffic here leaves no series behind.
                foreach (var gone in published.Except(known).ToList()) online.RemoveLabelled(gone);
                published.Clear();
                published.UnionWith(known);
                agents.Set(links.AgentConnections);
                linked.Set(links.Count);
                visitors.IncTo(traffic.Connections);
                active.Set(traffic.Active);
                bytes.IncTo(traffic.Bytes);
                hops.IncTo(traffic.RelayHops);
                ready.Set(readiness.IsReady ? 1 : 0);
                draining.Set(readiness.Draining ? 1 : 0);
                store.Set(readiness.StoreLatency.TotalSeconds);
                var state = cluster.State;
                foreach (var status in Enum.GetValues<Akka.Cluster.MemberStatus>())
                    members.WithLabels(status.ToString().ToLowerInvariant()).Set(state.Members.Count(m => m.Status == status));
                unreachable.Set(state.Unreachable.Count);
                expiry.Set(new DateTimeOffset(certificate.Current.NotAfter.ToUniversalTime()).ToUnixTimeSeconds());
            }
        });
        DotNetStats.Register(_registry);
        // System.Runtime (GC, thread pool, JIT), Kestrel, System.Net: the meters .NET publishes; no per-request labels.
        _meters = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = _registry,
            InstrumentFilterPredicate = i => i.Meter.Name is "System.Runtime" or "Microsoft.AspNetCore.Server.Kestrel" or "System.Net.Sockets",
        });
    }

    /// <summary>Writes every metric in Prometheus' text exposition format.</summary>
    public Task WriteAsync(Stream output, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(output, cancellationToken);

    public void Dispose() => _meters.Dispose();
}
