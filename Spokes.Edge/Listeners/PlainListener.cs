using System.Net;
using System.Net.Sockets;

namespace Spokes.Edge.Listeners;

/// <summary>The node's plain listening sockets outside Kestrel (leased ports, SOCKS): bound with address reuse, each
/// accepted connection handed on until the socket is closed or the node stops.</summary>
internal static class PlainListener
{
    /// <summary>A listening socket on <paramref name="address"/>:<paramref name="port"/>, or null with the reason.</summary>
    public static Socket? TryListen(IPAddress address, int port, out SocketError error)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(512);
            error = SocketError.Success;
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ex.SocketErrorCode;
            return null;
        }
    }

    /// <summary>Accepts until <paramref name="listener"/> is disposed or <paramref name="stopping"/> fires; each
    /// connection goes to <paramref name="serve"/> without being awaited.</summary>
    public static async Task AcceptAsync(Socket listener, Func<Socket, Task> serve, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            _ = serve(client);
        }
    }
}
