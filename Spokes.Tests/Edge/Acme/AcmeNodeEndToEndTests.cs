using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.Edge.Acme;

/// <summary>
/// A real node with <c>tls.useLE</c> against a real pebble: it starts on the self-signed certificate (the renewer
/// replaces it; that the self-signed one stays while no certificate exists is CertificateRenewerTests' job), answers
/// pebble's http-01 on its HTTP port (own domain, before the HTTPS redirect), and switches its HTTPS certificate
/// to the pebble-issued one (with the intermediate) without a restart; restarted, it serves the one stored in the
/// cluster's store.
/// </summary>
public sealed class AcmeNodeEndToEndTests(ITestOutputHelper output)
{
    private const string Domain = "localhost";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_node_swaps_in_the_acme_certificate_without_restart_and_keeps_it_across_restarts()
    {
        var log = new ProcessLog();
        var directory = Path.Combine(Path.GetTempPath(), "sa-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        SpokesProcess? node = null;
        var httpPort = FreePorts.One();
        var httpsPort = FreePorts.One();
        try
        {
            // Pebble's default nonce rejection (5 %) on purpose: the node's client must retry badNonce.
            await using var pebble = await PebbleServer.StartAsync(httpPort, nonceRejectPercent: null);
            var dataPath = Path.Combine(directory, "data");
            var configPath = WriteConfig(directory, httpPort, httpsPort, pebble);
            // The node trusts pebble's HTTPS certificate the way an operator would add a private CA: SSL_CERT_FILE.
            var environment = new Dictionary<string, string?> { ["SSL_CERT_FILE"] = pebble.TlsCertificatePath };
            using var root = await pebble.GetRootAsync();

            node = SpokesProcess.Start("node", Binaries.Spokes, ["--config", configPath, "start"], log, environment: environment);
            await node.WaitForLineAsync("acme: certificate for localhost issued", Timeout);

            var (served, sentChainBuilds) = await WaitForCertificateAsync(httpsPort, root);
            Assert.True(sentChainBuilds, "the node did not send the intermediate with the leaf");
            Assert.Contains(Domain, served.GetNameInfo(X509NameType.DnsName, false));
            // Kept in the cluster's store (every node serves it), its key and the account key sealed: no key in clear on disk.
            Assert.False(Directory.Exists(Path.Combine(dataPath, "certs", "acme")));
            foreach (var file in Directory.GetFiles(dataPath, "spokes.db*"))
            {
                var bytes = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(file));
                Assert.DoesNotContain("PRIVATE KEY", bytes);
            }

            // Restarted: the saved certificate is served at once, nothing is ordered.
            await node.KillAsync();
            await node.DisposeAsync();
            node = SpokesProcess.Start("node#2", Binaries.Spokes, ["--config", configPath, "start"], log, environment: environment);
            await node.WaitForLineAsync("acme: certificate for localhost loaded", Timeout);
            await node.WaitForLineAsync(line => line.StartsWith("spokes: node up", StringComparison.Ordinal), Timeout);
            var (again, _) = await WaitForCertificateAsync(httpsPort, root);
            Assert.Equal(served.Thumbprint, again.Thumbprint);
            Assert.DoesNotContain(node.Lines, line => line.Contains("acme: certificate for localhost issued"));

            // An unknown token on the own domain: 404 from the node, not the redirect to HTTPS.
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/.well-known/acme-challenge/unknownToken");
            request.Headers.Host = Domain;
            using var response = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
            using var other = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/tokens");
            other.Headers.Host = Domain;
            using var redirected = await http.SendAsync(other);
            Assert.Equal(System.Net.HttpStatusCode.PermanentRedirect, redirected.StatusCode);
            // The health checks answer on plain HTTP too (balancers).
            foreach (var path in new[] { "/healthz", "/readyz" })
            {
                using var check = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}{path}");
                check.Headers.Host = Domain;
                using var answer = await http.SendAsync(check);
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
            }
        }
        catch
        {
            output.WriteLine(log.Since(0));
            throw;
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The domain moved at run time (<c>spokes settings domain --force</c>) with Let's Encrypt in force: the node orders a
    /// certificate for the new name at once — pebble's http-01 for it reaches the node's HTTP port (a loopback DNS answers
    /// every name with 127.0.0.1) and is answered as the own domain's — and serves it for that name.
    /// </summary>
    [Fact]
    public async Task A_domain_changed_at_run_time_gets_its_own_acme_certificate()
    {
        const string moved = "edge.example.com";
        var log = new ProcessLog();
        var directory = Path.Combine(Path.GetTempPath(), "sa-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        SpokesProcess? node = null;
        var httpPort = FreePorts.One();
        var httpsPort = FreePorts.One();
        try
        {
            using var dns = new LoopbackDns();
            await using var pebble = await PebbleServer.StartAsync(httpPort, dnsServer: dns.Endpoint);
            var configPath = WriteConfig(directory, httpPort, httpsPort, pebble);
            var environment = new Dictionary<string, string?> { ["SSL_CERT_FILE"] = pebble.TlsCertificatePath };
            using var root = await pebble.GetRootAsync();
            node = SpokesProcess.Start("node", Binaries.Spokes, ["--config", configPath, "start"], log, environment: environment);
            await node.WaitForLineAsync("acme: certificate for localhost issued", Timeout);

            await using (var cli = SpokesProcess.Start("spokes settings domain", Binaries.Spokes,
                             ["--config", configPath, "settings", "domain", "--name", moved, "--force"], log))
                Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            await node.WaitForLineAsync($"acme: certificate for {moved} issued", Timeout);
            var (served, _) = await WaitForCertificateAsync(httpsPort, root, moved);
            Assert.True(served.MatchesHostname(moved));
            Assert.False(served.MatchesHostname(Domain));
        }
        catch
        {
            output.WriteLine(log.Since(0));
            throw;
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A node's config.json in <paramref name="directory"/>: the domain, loopback listeners, Let's Encrypt from pebble.</summary>
    private static string WriteConfig(string directory, int httpPort, int httpsPort, PebbleServer pebble)
    {
        var configPath = Path.Combine(directory, "config.json");
        var portRange = FreePorts.Run(3);
        File.WriteAllText(configPath, JsonSerializer.Serialize(new
        {
            domain = Domain,
            dataPath = Path.Combine(directory, "data"),
            listen = new { http = $"127.0.0.1:{httpPort}", https = $"127.0.0.1:{httpsPort}" },
            portRange = new { begin = portRange, end = portRange + 2 },
            cluster = new { host = "127.0.0.1", port = FreePorts.One() },
            tls = new { useLE = true, acmeDirectory = pebble.DirectoryUrl.ToString(), acmeEmail = "ops@example.com" },
        }));
        return configPath;
    }

    /// <summary>Handshakes (SNI = <paramref name="serverName"/>, by default the domain) until the node serves a certificate
    /// that chains to <paramref name="root"/> and covers that name; also says whether the chain builds from what the
    /// server sent alone.</summary>
    private static async Task<(X509Certificate2 Served, bool SentChainBuilds)> WaitForCertificateAsync(int port, X509Certificate2 root,
        string serverName = Domain)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            X509Certificate2? served = null;
            var sentChainBuilds = false;
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                await using var tls = new SslStream(tcp.GetStream());
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = serverName,
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    {
                        served = new X509Certificate2(certificate!);
                        using var check = new X509Chain();
                        check.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        check.ChainPolicy.CustomTrustStore.Add(root);
                        check.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        // Only what the server sent: the intermediate must be among it.
                        foreach (var sent in chain!.ChainPolicy.ExtraStore) check.ChainPolicy.ExtraStore.Add(sent);
                        sentChainBuilds = check.Build(served);
                        return true;
                    },
                });
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException)
            {
                // not listening yet
            }
            if (served is not null && sentChainBuilds && served.MatchesHostname(serverName)) return (served, true);
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the node still serves {served?.Subject ?? "nothing"} (issuer {served?.Issuer})");
            await Task.Delay(200);
        }
    }
}
