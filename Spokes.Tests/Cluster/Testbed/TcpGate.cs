using System.Net;
using System.Net.Sockets;
using Spokes.Tests.DataPlane.Testbed;

namespace Spokes.Tests.Cluster.Testbed;

/// <summary>A TCP forwarder on loopback in front of a service (the store): <see cref="Close"/> cuts every connection
/// through it and refuses new ones, as a stopped server does; <see cref="Open"/> listens again on the same port.</summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Lock _sync = new();
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;

    public TcpGate(IPEndPoint target)
    {
        _target = target;
        Port = FreePorts.One(); // reopened after each outage: a port outside the ephemeral range stays ours
        Open();
    }

    public int Port { get; }

    public void Open()
    {
        lock (_sync)
        {
            if (_listener is not null) return;
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptAsync(_listener);
        }
    }

    public void Close()
    {
        lock (_sync)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var socket in _open) socket.Dispose();
            _open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        lock (_sync)
        {
            if (_listener is null)
            {
                client.Dispose();
                server.Dispose();
                return;
            }
            _open.Add(client);
            _open.Add(server);
        }
        try
        {
            await server.ConnectAsync(_target);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_sync)
            {
                _open.Remove(client);
                _open.Remove(server);
            }
            client.Dispose();
            server.Dispose();
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
