using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Tunnels;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Traffic;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Listeners;

/// <summary>
/// Listens on every leased port of every online tunnel, on every node, following the route table: ports are
/// bound when they appear and closed when they go. Plain sockets keep half-close intact both ways.
/// </summary>
public sealed class PortListeners(RouteTableSource routes, PublicRelay relay, PortBindAddress bindAddress, LimitsConfig limits,
    ILogger<PortListeners> log) : BackgroundService
{
    private readonly ConcurrentDictionary<int, Socket> _listening = new();
    private readonly SemaphoreSlim _sync = new(1, 1);
    private CancellationToken _stopping;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        routes.Changed += table => _ = ReconcileAsync(table);
        _ = ReconcileAsync(routes.Current);
        stoppingToken.Register(() =>
        {
            foreach (var socket in _listening.Values) socket.Dispose();
        });
        return Task.CompletedTask;
    }

    private async Task ReconcileAsync(RouteTable table)
    {
        await _sync.WaitAsync();
        try
        {
            foreach (var port in _listening.Keys.Where(p => !table.ByPort.ContainsKey(p)).ToList())
                if (_listening.TryRemove(port, out var socket)) socket.Dispose();
            foreach (var port in table.ByPort.Keys.Where(p => !_listening.ContainsKey(p)))
            {
                if (_stopping.IsCancellationRequested) return;
                if (PlainListener.TryListen(bindAddress.Address, port, out var error) is not { } socket)
                {
                    log.LogWarning("cannot listen on leased port {Port}: {Reason}", port, error);
                    continue;
                }
                _listening[port] = socket;
                _ = PlainListener.AcceptAsync(socket, client => ServeAsync(client, port), _stopping);
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task ServeAsync(Socket client, int port)
    {
        using var scope = ConnectionLog.Begin(log);
        client.NoDelay = true;
        var address = PublicRelay.ClientAddress(client.RemoteEndPoint);
        var started = Environment.TickCount64;
        var target = await relay.OpenAsync(new StreamOpenHeader { Kind = StreamKind.Tcp, Port = port, ClientAddress = address },
            (client.RemoteEndPoint as IPEndPoint)?.Address, _stopping);
        if (target is null)
        {
            client.Dispose();
            return;
        }
        try
        {
            using var active = relay.Open(target);
            await using var tunnel = target;
            await using var network = new NetworkStream(client, ownsSocket: true);
            var result = await BytePump.RelayAsync(tunnel.Stream, network, () => client.Shutdown(SocketShutdown.Send),
                active.Counting(RelayPolicy.IdleFor(limits.TcpIdleSeconds == 0 ? null : TimeSpan.FromSeconds(limits.TcpIdleSeconds),
                    relay.Meter.AddBytes)), _stopping);
            if (target.Local)
                relay.Record(target.TunnelId, $"tcp:{port}", address, result.BytesToStream, result.BytesFromStream, started);
        }
        catch (Exception ex) when (ex is MuxException or IOException or OperationCanceledException or SocketException)
        {
            client.Dispose();
        }
    }
}

/// <summary>The address leased ports bind to (the host part of <c>listen.https</c>).</summary>
public sealed record PortBindAddress(IPAddress Address);
