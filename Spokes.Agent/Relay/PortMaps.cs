using System.Net;
using System.Net.Sockets;
using Spokes.Agent.Config;
using Spokes.Agent.Session;
using Spokes.Tunnel.Mux;

namespace Spokes.Agent.Relay;

/// <summary>
/// The agent's port maps (<c>spokes-agent map</c>, docs/agent.md): a listener per map on this machine; each connection
/// becomes one stream to the node over the tunnel's existing connection, naming the map's destination, and the node
/// answers with one byte — a SOCKS5 reply code — before the bytes flow. Changed at run time as a whole
/// (<see cref="Apply"/>): maps that stay keep their listener and connections.
/// </summary>
internal sealed class PortMaps(Func<ActiveSession?> session, AgentLog log) : IAsyncDisposable
{
    private readonly Dictionary<string, Running> _running = [];
    private readonly CancellationTokenSource _stop = new();

    public int Listening
    {
        get
        {
            lock (_running) return _running.Count;
        }
    }

    /// <summary>Listens for exactly <paramref name="maps"/>; the maps that could not listen, with why.</summary>
    public IReadOnlyList<(string Listen, string Error)> Apply(IReadOnlyList<PortMap> maps)
    {
        List<(string, string)> failed = [];
        lock (_running)
        {
            foreach (var (listen, running) in _running.Where(r => !maps.Contains(r.Value.Map)).ToList())
            {
                running.Listener.Dispose();
                _running.Remove(listen);
            }
            foreach (var map in maps.Where(m => !_running.ContainsKey(m.Listen)))
            {
                var endpoint = IPEndPoint.Parse(map.Listen);
                var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    listener.Bind(endpoint);
                    listener.Listen(128);
                }
                catch (SocketException ex)
                {
                    listener.Dispose();
                    failed.Add((map.Listen, $"cannot listen on {map.Listen}: {ex.SocketErrorCode}"));
                    continue;
                }
                _running[map.Listen] = new Running(map, listener);
                _ = AcceptAsync(map, listener);
            }
        }
        foreach (var (listen, error) in failed) log.Info($"map {listen}: {error}");
        return failed;
    }

    private async Task AcceptAsync(PortMap map, Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            _ = ServeAsync(map, client);
        }
    }

    private async Task ServeAsync(PortMap map, Socket client)
    {
        client.NoDelay = true;
        MuxStream? stream = null;
        try
        {
            if (session() is not { } current)
            {
                log.Info($"map {map.Listen} → {map.To}: not connected to the server; connection closed");
                return;
            }
            stream = await current.OpenMapStreamAsync(map.To, _stop.Token).ConfigureAwait(false);
            if (stream is null)
            {
                log.Info($"map {map.Listen} → {map.To}: the node does not take port maps (an older release); connection closed");
                return;
            }
            var read = await stream.Input.ReadAtLeastAsync(1, _stop.Token).ConfigureAwait(false);
            if (read.Buffer.IsEmpty || read.Buffer.FirstSpan[0] is var code && code != 0)
            {
                log.Info($"map {map.Listen} → {map.To}: refused by the node ({Describe(read.Buffer.IsEmpty ? (byte)1 : read.Buffer.FirstSpan[0])})");
                return;
            }
            stream.Input.AdvanceTo(read.Buffer.GetPosition(1));
            await using var local = new NetworkStream(client, ownsSocket: false);
            await BytePump.RelayAsync(stream, local, () => client.Shutdown(SocketShutdown.Send), cancellationToken: _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MuxException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            log.Info($"map {map.Listen} → {map.To}: {ex.Message}");
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
        }
    }

    /// <summary>A SOCKS5 reply code in words.</summary>
    internal static string Describe(byte code) => code switch
    {
        0x02 => "not allowed by the server's SOCKS policy",
        0x03 => "network unreachable",
        0x04 => "host unreachable (no such tunnel online, or the name does not resolve)",
        0x05 => "connection refused",
        _ => $"failure {code}",
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        lock (_running)
        {
            foreach (var running in _running.Values) running.Listener.Dispose();
            _running.Clear();
        }
        _stop.Dispose();
    }

    private sealed record Running(PortMap Map, Socket Listener);
}
