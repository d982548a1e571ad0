using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Acme;

/// <summary>
/// A real Debian <c>pebble</c> (ACME test server) on loopback: its own HTTPS certificate (made here, for 127.0.0.1
/// and localhost), free ports, http-01 validated against <see cref="HttpPort"/>. Killed (whole tree) and its
/// folder deleted on dispose.
/// </summary>
internal sealed class PebbleServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/pebble";

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PebbleServer(int httpPort, int? nonceRejectPercent, string? dnsServer)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("spokes-pebble-").FullName;
        HttpPort = httpPort;
        ListenPort = FreePorts.One();
        ManagementPort = FreePorts.One();

        // Pebble's own HTTPS certificate: self-signed for 127.0.0.1 and localhost, pinned by the test's handler.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pebble test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        TlsCertificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        TlsCertificatePath = Path.Combine(Directory, "cert.pem");
        File.WriteAllText(TlsCertificatePath, TlsCertificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(Directory, "key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");

        var configPath = Path.Combine(Directory, "pebble-config.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(new
        {
            pebble = new
            {
                listenAddress = $"127.0.0.1:{ListenPort}",
                managementListenAddress = $"127.0.0.1:{ManagementPort}",
                certificate = TlsCertificatePath,
                privateKey = Path.Combine(Directory, "key.pem"),
                httpPort,
                tlsPort = FreePorts.One(),
                ocspResponderURL = "",
                externalAccountBindingRequired = false,
            },
        }));

        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var arg in new[] { "-config", configPath, "-strict" }) start.ArgumentList.Add(arg);
        if (dnsServer is not null) foreach (var arg in new[] { "-dnsserver", dnsServer }) start.ArgumentList.Add(arg);
        start.Environment["PEBBLE_VA_NOSLEEP"] = "1";
        if (nonceRejectPercent is { } percent) start.Environment["PEBBLE_WFE_NONCEREJECT"] = percent.ToString();
        else start.Environment.Remove("PEBBLE_WFE_NONCEREJECT");
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("pebble exited:\n" + Output));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public int HttpPort { get; }

    public int ListenPort { get; }

    public int ManagementPort { get; }

    public X509Certificate2 TlsCertificate { get; }

    /// <summary>Pebble's HTTPS certificate as PEM (a node trusts it through SSL_CERT_FILE).</summary>
    public string TlsCertificatePath { get; }

    public Uri DirectoryUrl => new($"https://127.0.0.1:{ListenPort}/dir");

    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>Starts pebble and waits for its "Listening on" line. <paramref name="nonceRejectPercent"/> null: pebble's default (5 %).
    /// <paramref name="dnsServer"/>: <c>host:port</c> of the resolver pebble asks for the names it validates (else the system's).</summary>
    public static async Task<PebbleServer> StartAsync(int httpPort, int? nonceRejectPercent = 0, string? dnsServer = null)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is missing: apt-get install -y pebble (test.sh does)");
        var pebble = new PebbleServer(httpPort, nonceRejectPercent, dnsServer);
        try
        {
            await pebble._listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // pebble logs "Listening on" just before it binds: wait until both ports accept connections.
            await WaitAcceptingAsync(pebble.ListenPort);
            await WaitAcceptingAsync(pebble.ManagementPort);
            return pebble;
        }
        catch (Exception e)
        {
            await pebble.DisposeAsync();
            throw new InvalidOperationException($"pebble did not start: {e.Message}\n{pebble.Output}", e);
        }
    }

    private static async Task WaitAcceptingAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>An HTTP handler that trusts exactly pebble's HTTPS certificate.</summary>
    public HttpMessageHandler CreateHandler() => new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString() == TlsCertificate.GetCertHashString(),
        },
    };

    /// <summary>Pebble's root (management API <c>/roots/0</c>); polled until the management listener answers.</summary>
    public async Task<X509Certificate2> GetRootAsync()
    {
        using var http = new HttpClient(CreateHandler());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var pem = await http.GetStringAsync($"https://127.0.0.1:{ManagementPort}/roots/0");
                return X509Certificate2.CreateFromPem(pem);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        if (line.Contains("Listening on", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
