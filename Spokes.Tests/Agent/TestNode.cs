using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Agent;

/// <summary>
/// A stand-in node for agent tests, built on the real Spokes.Tunnel API: TLS on 127.0.0.1:0 with a
/// certificate from its own CA, ALPN spokes/1, a server MuxSession, the handshake, and a record of
/// every control request. Tests open streams to the agent and push requests through <see cref="AgentLink"/>.
/// </summary>
internal sealed class TestNode : IAsyncDisposable
{
    public const string Hostname = "spokes.test";
    public const string TakenDomain = "taken.example.com";
    public const int AllocatedPort = 20001;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<AgentLink> _links = [];
    private int _hellos;
    private int _sessions;

    public TestNode(string directory)
    {
        (_certificate, string caPem) = CreateCertificates();
        CaPath = Path.Combine(directory, "node-ca.pem");
        File.WriteAllText(CaPath, caPem);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string CaPath { get; }

    /// <summary>A Refused to answer Hello with, or null to welcome the agent.</summary>
    public Func<Hello, Refused?> Admit { get; set; } = _ => null;

    public int Hellos => Volatile.Read(ref _hellos);

    /// <summary>Every agent that was welcomed (role control), in order.</summary>
    public Channel<AgentLink> Links { get; } = Channel.CreateUnbounded<AgentLink>();

    /// <summary>Every control request any agent sent, in order.</summary>
    public Channel<ControlRequest> Requests { get; } = Channel.CreateUnbounded<ControlRequest>();

    public Channel<Register> Registrations { get; } = Channel.CreateUnbounded<Register>();

    public async Task<T> NextRequestAsync<T>(TimeSpan? timeout = null) where T : ControlRequest
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            if (await Requests.Reader.ReadAsync(cts.Token) is T match)
            {
                return match;
            }
        }
    }

    public async Task<AgentLink> NextLinkAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        return await Links.Reader.ReadAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        AgentLink[] links;
        lock (_links)
        {
            links = [.. _links];
        }

        foreach (var link in links)
        {
            await link.Mux.DisposeAsync();
        }

        _certificate.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        MuxSession? mux = null;
        try
        {
            var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ApplicationProtocols = [new SslApplicationProtocol(ControlProtocol.Alpn)],
            }, _stop.Token);
            mux = MuxSession.Create(tls, isClient: false);
            var control = new ControlChannel((await mux.AcceptStreamAsync(_stop.Token))!);
            switch (await control.ReceiveHandshakeAsync(TimeSpan.FromSeconds(5), _stop.Token))
            {
                case Register register:
                    Registrations.Writer.TryWrite(register);
                    await control.SendAsync(new Registered { Key = "minted-" + register.RegistrationToken });
                    return;
                case Hello hello:
                    Interlocked.Increment(ref _hellos);
                    if (Admit(hello) is { } refusal)
                    {
                        // MuxSession.DisposeAsync drops stream data not yet written, so let the
                        // Refused (and a FIN) go out and the agent hang up first.
                        await control.SendAsync(refusal);
                        await control.DisposeAsync();
                        await mux.Completion.WaitAsync(TimeSpan.FromSeconds(3), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                        await mux.DisposeAsync();
                        return;
                    }

                    int session = Interlocked.Increment(ref _sessions);
                    await control.SendAsync(new Welcome
                    {
                        ProtocolVersion = ControlProtocol.Version, TunnelId = "t-1", SessionId = $"s-{session}", SessionSecret = "secret",
                        MaxPoolSize = 4, ServerVersion = "test",
                    });
                    var link = new AgentLink(mux, control, hello);
                    lock (_links)
                    {
                        _links.Add(link);
                    }

                    Links.Writer.TryWrite(link);
                    await ControlLoopAsync(control);
                    return;
            }
        }
        catch (Exception ex) when (ex is IOException or MuxException or OperationCanceledException or TimeoutException or ObjectDisposedException
            or System.Security.Authentication.AuthenticationException)
        {
            mux?.Abort(ex);
        }
    }

    private async Task ControlLoopAsync(ControlChannel control)
    {
        while (await control.ReceiveAsync(_stop.Token) is { } message)
        {
            if (message is not ControlRequest request)
            {
                continue;
            }

            Requests.Writer.TryWrite(request);
            switch (request)
            {
                case SyncRules sync:
                    await control.ReplyOkAsync(sync, results:
                    [
                        .. sync.Http.Select(r => new RuleResult($"http:{r.Domain}", r.Domain != TakenDomain, r.Domain == TakenDomain ? "taken" : null)),
                        .. sync.Tcp.Select(r => new RuleResult($"tcp:{r.Port}", true)),
                    ]);
                    break;
                case HttpAdd { Rule.Domain: TakenDomain }:
                    await control.ReplyErrorAsync(request, $"domain {TakenDomain} belongs to another tunnel");
                    break;
                case TcpAllocate:
                    await control.ReplyOkAsync(request, port: AllocatedPort);
                    break;
                default:
                    await control.ReplyOkAsync(request);
                    break;
            }
        }
    }

    private static (X509Certificate2 Leaf, string CaPem) CreateCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Spokes Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={Hostname}", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Hostname);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 leaf = leafRequest.Create(ca, now.AddDays(-1), now.AddDays(29), RandomNumberGenerator.GetBytes(8));
        using X509Certificate2 withKey = leaf.CopyWithPrivateKey(leafKey);
        return (X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null), ca.ExportCertificatePem());
    }
}

/// <summary>One welcomed agent connection as the node sees it.</summary>
internal sealed class AgentLink(MuxSession mux, ControlChannel control, Hello hello)
{
    public MuxSession Mux { get; } = mux;
    public ControlChannel Control { get; } = control;
    public Hello Hello { get; } = hello;

    public Task<MuxStream> OpenStreamAsync(StreamOpenHeader header) => Mux.OpenStreamAsync(header.Encode());

    public Task<OkReply> PushAsync(ControlRequest request) => Control.RequestAsync(request, TimeSpan.FromSeconds(10));

    /// <summary>Drops the connection without GoAway, as a crashed node or a broken network would.</summary>
    public void Drop() => Mux.Abort(new IOException("dropped by the test"));
}
