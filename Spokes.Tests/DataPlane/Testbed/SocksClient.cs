using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>A SOCKS5 client written out byte by byte (RFC 1928/1929), so tests can also send what a good client
/// never would. <see cref="Stream"/> is the connection after the handshake.</summary>
internal sealed class SocksClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;

    private SocksClient(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        Stream = stream;
    }

    public Stream Stream { get; private set; }

    public static async Task<SocksClient> OpenAsync(int port, IPAddress? from = null, IPAddress? node = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await tcp.ConnectAsync(node ?? IPAddress.Loopback, port);
        tcp.NoDelay = true;
        var stream = tcp.GetStream();
        stream.ReadTimeout = 20_000;
        return new SocksClient(tcp, stream);
    }

    /// <summary>Runs the rest over <paramref name="stream"/> (the client's TLS to the node's SOCKS TLS port).</summary>
    public void Wrap(Stream stream) => Stream = stream;

    public Socket Socket => _tcp.Client;

    public Task SendAsync(params byte[] bytes) => Stream.WriteAsync(bytes).AsTask();

    /// <summary>The method the node chose, or null when it closed instead.</summary>
    public async Task<byte?> GreetAsync(params byte[] methods)
    {
        await SendAsync([5, (byte)methods.Length, .. methods]);
        return await ReadAsync(2) is [5, var method] ? method : null;
    }

    /// <summary>The RFC 1929 status (0 = accepted), or null when the node closed instead.</summary>
    public async Task<byte?> LogInAsync(string user, string password)
    {
        var u = Encoding.UTF8.GetBytes(user);
        var p = Encoding.UTF8.GetBytes(password);
        await SendAsync([1, (byte)u.Length, .. u, (byte)p.Length, .. p]);
        return await ReadAsync(2) is [1, var status] ? status : null;
    }

    /// <summary>The reply code of a request for <paramref name="host"/>:<paramref name="port"/> (by name, or by address
    /// when it parses as one), or null when the node closed instead.</summary>
    public async Task<byte?> RequestAsync(string host, int port, byte command = 1)
    {
        byte[] address = IPAddress.TryParse(host, out var ip)
            ? [ip.AddressFamily == AddressFamily.InterNetwork ? (byte)1 : (byte)4, .. ip.GetAddressBytes()]
            : [3, (byte)host.Length, .. Encoding.ASCII.GetBytes(host)];
        await SendAsync([5, command, 0, .. address, (byte)(port >> 8), (byte)port]);
        if (await ReadAsync(4) is not [5, var reply, 0, var type]) return null;
        if (await ReadAsync(type == 4 ? 18 : 6) is null) return null;
        return reply;
    }

    /// <summary>Greeting, log-in and CONNECT; the reply code (0 = connected).</summary>
    public static async Task<(SocksClient Client, byte? Reply)> ConnectAsync(int port, string user, string password, string host, int destination,
        IPAddress? node = null)
    {
        var client = await OpenAsync(port, node: node);
        if (await client.GreetAsync(2) != 2 || await client.LogInAsync(user, password) != 0) return (client, null);
        return (client, await client.RequestAsync(host, destination));
    }

    /// <summary>Sends <paramref name="text"/>, half-closes, reads to the end.</summary>
    public async Task<string> EchoAsync(string text)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        if (Stream is NetworkStream) _tcp.Client.Shutdown(SocketShutdown.Send);
        else await ((System.Net.Security.SslStream)Stream).ShutdownAsync();
        using var reader = new StreamReader(Stream, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync();
    }

    /// <summary>True when the node closed the connection (end of stream or reset) within 20 s.</summary>
    public async Task<bool> ClosedAsync()
    {
        try
        {
            var buffer = new byte[256];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (await Stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<byte[]?> ReadAsync(int count)
    {
        var buffer = new byte[count];
        try
        {
            await Stream.ReadExactlyAsync(buffer);
            return buffer;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}
