using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Spokes.Tests.Support;

/// <summary>Connected TCP socket pairs on 127.0.0.1, port 0.</summary>
internal static class Loopback
{
    public static async Task<(Socket Client, Socket Server)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        server.NoDelay = true;
        return (client, server);
    }

    /// <summary>Writes everything, then shuts down the sending side.</summary>
    public static async Task SendAndShutdownAsync(Socket socket, byte[] data)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        for (var offset = 0; offset < data.Length; offset += 16 * 1024)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(16 * 1024, data.Length - offset)));
        }
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads to end of stream; returns the byte count and SHA-256.</summary>
    public static async Task<(long Length, byte[] Hash)> ReadToEndHashedAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[32 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return (total, hash.GetHashAndReset());
    }

    public static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        var output = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    /// <summary>True when something accepts TCP connections on <paramref name="address"/> (127.0.0.1 by default):<paramref name="port"/>.</summary>
    public static async Task<bool> AcceptsAsync(int port, IPAddress? address = null)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(address ?? IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
