using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>A TcpListener on 127.0.0.1:0 serving each connection with <paramref name="serve"/> until disposed.</summary>
internal class SocketBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    protected SocketBackend(Func<Socket, CancellationToken, Task> serve)
    {
        _listener.Start();
        _ = AcceptLoopAsync(serve);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public virtual ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(Func<Socket, CancellationToken, Task> serve)
    {
        var token = _stop.Token;
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await serve(socket, token);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException
                        or System.Security.Authentication.AuthenticationException)
                    {
                        // A visitor that went away (or a garbage test): only that connection ends.
                    }
                }
            }, CancellationToken.None);
        }
    }
}

/// <summary>
/// Respects half-close: reads to end of stream, then writes everything back and closes. A visitor that
/// shuts down its sending side must still get the whole reply.
/// </summary>
internal sealed class TcpEchoBackend() : SocketBackend(ServeAsync)
{
    private static async Task ServeAsync(Socket socket, CancellationToken token)
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var reply = received.GetBuffer().AsMemory(0, (int)received.Length);
        while (!reply.IsEmpty)
        {
            int sent = await socket.SendAsync(reply, token);
            reply = reply[sent..];
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}

/// <summary>Echoes every chunk as it arrives (a long-lived conversation), and closes when the visitor does.</summary>
internal sealed class StreamingEchoBackend() : SocketBackend(ServeAsync)
{
    private static async Task ServeAsync(Socket socket, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, token)) > 0)
        {
            var reply = buffer.AsMemory(0, read);
            while (!reply.IsEmpty)
            {
                int sent = await socket.SendAsync(reply, token);
                reply = reply[sent..];
            }
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}

/// <summary>
/// A TLS service with its own self-signed certificate for <see cref="Name"/>: answers each chunk it reads
/// with <c>tls-echo:</c> and the chunk. Visitors must see this certificate, not the node's.
/// </summary>
internal sealed class TlsBackend : SocketBackend
{
    public const string Name = "tls.example.com";

    private TlsBackend(X509Certificate2 certificate) : base((socket, token) => ServeAsync(socket, certificate, token)) =>
        Certificate = certificate;

    public X509Certificate2 Certificate { get; }

    public static TlsBackend Start() => new(CreateCertificate());

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Certificate.Dispose();
    }

    private static async Task ServeAsync(Socket socket, X509Certificate2 certificate, CancellationToken token)
    {
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, token);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await tls.ReadAsync(buffer, token)) > 0)
        {
            await tls.WriteAsync("tls-echo:"u8.ToArray(), token);
            await tls.WriteAsync(buffer.AsMemory(0, read), token);
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Name);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Through PKCS#12: on Linux SslStream needs a key it can export, not an ephemeral one.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
