using System.Net.Sockets;
using Spokes.Tests.Support;

namespace Spokes.Tests.Cluster.Testbed;

/// <summary>
/// HAProxy in TCP mode on <see cref="ClusterTestbed.BalancerHost"/>, as an operator would put it in front of a
/// cluster: the HTTP, HTTPS and leased ports to every node, health checks on <c>/readyz</c> (over the node's HTTP
/// port, Host = the server's domain) every 400 ms, a node out after two failures, a refused connection
/// re-dispatched to another node.
/// </summary>
internal sealed class Balancer : IAsyncDisposable
{
    private readonly SpokesProcess _process;

    private Balancer(SpokesProcess process) => _process = process;

    public static async Task<Balancer> StartAsync(ClusterTestbed bed)
    {
        var path = Path.Combine(bed.Directory, "haproxy.cfg");
        File.WriteAllText(path, Config(bed));
        var process = SpokesProcess.StartProgram("haproxy", "/usr/sbin/haproxy", ["-db", "-f", path], bed.Log);
        var balancer = new Balancer(process);
        // Up once every node's check passed: each backend answers through the balancer's HTTP port.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await ReadyAsync(bed))
        {
            if (process.HasExited) throw new InvalidOperationException($"haproxy exited: {process.Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("haproxy did not pass its health checks within 30 s");
            await Task.Delay(200);
        }
        return balancer;
    }

    private static async Task<bool> ReadyAsync(ClusterTestbed bed)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{ClusterTestbed.BalancerHost}:{bed.HttpPort}/readyz");
            request.Headers.Host = ClusterTestbed.Domain;
            using var response = await http.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException)
        {
            return false;
        }
    }

    public static string Config(ClusterTestbed bed)
    {
        string Servers(int? port) => string.Join("\n", bed.Nodes.Select(n =>
            $"  server {n.Name} {n.Host}{(port is null ? "" : ":" + port)} check port {bed.HttpPort} inter 400ms fastinter 200ms fall 2 rise 2"));
        var check = $"""
              option httpchk
              http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {ClusterTestbed.Domain}
              http-check expect status 200
            """;
        return $"""
            global
              maxconn 4000
            defaults
              mode tcp
              timeout connect 1s
              timeout client 120s
              timeout server 120s
              timeout check 400ms
              retries 3
              option redispatch
            frontend http
              bind {ClusterTestbed.BalancerHost}:{bed.HttpPort}
              default_backend http_nodes
            backend http_nodes
            {check}
            {Servers(bed.HttpPort)}
            frontend https
              bind {ClusterTestbed.BalancerHost}:{bed.HttpsPort}
              default_backend https_nodes
            backend https_nodes
            {check}
            {Servers(bed.HttpsPort)}
            frontend leases
              bind {ClusterTestbed.BalancerHost}:{bed.RangeBegin}-{bed.RangeBegin + ClusterTestbed.PortCount - 1}
              default_backend lease_nodes
            backend lease_nodes
            {check}
            {Servers(null)}

            """;
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();
}
