using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Spokes.Tests.Cluster.Testbed;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Edge.Acme;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>Let's Encrypt in a cluster, against Debian's pebble: the node that orders is not the one the CA's
/// validation reaches (pebble resolves the domain to 127.0.0.1, the first node; the second orders), which answers
/// from the replicated challenges; the certificate is stored once and the other node serves it without ordering.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterAcmeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OneNodeOrders_AnotherAnswersTheValidation_EveryNodeServesTheStoredCertificate()
    {
        var ports = FreePorts.One(["127.0.0.1", "127.0.0.2", ClusterTestbed.BalancerHost]);
        await using var pebble = await PebbleServer.StartAsync(ports);
        var acmeOn = new HashSet<string> { "n2" };
        object? Tls(ClusterNode node) => acmeOn.Contains(node.Name)
            ? new { useLE = true, acmeDirectory = pebble.DirectoryUrl.ToString(), acmeEmail = "ops@example.com" }
            : null;
        await using var bed = await ClusterTestbed.StartAsync(nodes: 2, tls: Tls, httpPort: ports,
            environment: new Dictionary<string, string?> { ["SSL_CERT_FILE"] = pebble.TlsCertificatePath });
        await bed.ScenarioAsync(output, async () =>
        {
            var (n1, n2) = (bed.Nodes[0], bed.Nodes[1]);
            await n2.Process!.WaitForLineAsync("acme: certificate for localhost issued", TimeSpan.FromSeconds(90));
            var issued = await ServedAsync(n2, bed.HttpsPort);
            Assert.Contains("Pebble", issued.Issuer);

            // The first node turns Let's Encrypt on: it serves the stored certificate, it orders nothing.
            acmeOn.Add("n1");
            n1.WriteConfig();
            await n1.KillAsync();
            await n1.StartAsync();
            await n1.Process!.WaitForLineAsync("acme: certificate for localhost loaded", TimeSpan.FromSeconds(60));
            Assert.Equal(issued.Thumbprint, (await ServedAsync(n1, bed.HttpsPort)).Thumbprint);
            Assert.DoesNotContain(n1.Process.Lines, l => l.Contains("acme: certificate for localhost issued", StringComparison.Ordinal));
            Assert.Single(n2.Process.Lines, l => l.Contains("acme: certificate for localhost issued", StringComparison.Ordinal));
        });
    }

    /// <summary>A node just restarted may print "node up" a moment before its HTTPS listener accepts.</summary>
    private static async Task<Socket> ConnectAsync(string host, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Parse(host), port);
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused && DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(200);
            }
        }
    }

    private static async Task<X509Certificate2> ServedAsync(ClusterNode node, int httpsPort)
    {
        using var socket = await ConnectAsync(node.Host, httpsPort);
        X509Certificate2? seen = null;
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = ClusterTestbed.Domain }, timeout.Token);
        return seen!;
    }
}
