using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>
/// A public client of the node: connects to the node's loopback ports whatever name it asks for, so requests
/// carry real Host headers and SNI (<c>http://app.example.com/</c> goes to 127.0.0.1:http).
/// </summary>
internal sealed class Visitor(SpokesTestbed bed)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public HttpClient Http(string host, int maxConnections = 100) =>
        new(Handler(maxConnections)) { BaseAddress = new Uri($"http://{host}/"), Timeout = Patience };

    public async Task<ClientWebSocket> WebSocketAsync(string host, string path, string? authorization = null)
    {
        var socket = new ClientWebSocket();
        if (authorization is not null) socket.Options.SetRequestHeader("Authorization", authorization);
        using var cts = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(new Uri($"ws://{host}{path}"), new HttpMessageInvoker(Handler(1)), cts.Token);
        return socket;
    }

    public async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>A TLS handshake with <paramref name="serverName"/> as SNI on the node's HTTPS port (or <paramref name="port"/>);
    /// any certificate is accepted and returned.</summary>
    public async Task<(SslStream Stream, X509Certificate2 Certificate)> TlsAsync(string serverName, int? port = null)
    {
        var socket = await ConnectAsync(port ?? bed.HttpsPort);
        X509Certificate2? seen = null;
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        });
        using var cts = new CancellationTokenSource(Patience);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName }, cts.Token);
        return (tls, seen!);
    }

    /// <summary>Reads until the peer ends its side (FIN or RST); returns what arrived.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var received = new MemoryStream();
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            // Closed with RST: what came before still counts.
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the connection was still open after {(timeout ?? Patience).TotalSeconds:0} s ({received.Length} bytes received)");
        }

        return received.ToArray();
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    private SocketsHttpHandler Handler(int maxConnections) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, bed.HttpPort, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
