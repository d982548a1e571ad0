using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Edge.Relay;
using Spokes.Edge.Sessions;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.NodeRelay;

/// <summary>Serves a peer node's relay link: each stream names a tunnel whose session is held here; it is
/// joined to a new stream to that tunnel's agent. This node records the connection.</summary>
public sealed class NodeRelayHandler(LocalLinks links, PublicRelay relay, ILogger<NodeRelayHandler> log)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<MuxSession, byte> _open = new();

    public async Task HandleAsync(ConnectionContext connection)
    {
        await using var mux = new MuxSession(connection.Transport, isClient: false);
        _open[mux] = 0;
        try
        {
            while (await mux.AcceptStreamAsync(connection.ConnectionClosed) is { } stream)
                _ = ServeAsync(stream);
        }
        catch (OperationCanceledException)
        {
            // The peer closed the link.
        }
        finally
        {
            _open.TryRemove(mux, out _);
        }
    }

    /// <summary>The node stops: peers' links to it close (their relays move to other nodes) instead of holding the stop up.</summary>
    public void CloseAll()
    {
        foreach (var mux in _open.Keys) mux.Abort();
    }

    private async Task ServeAsync(MuxStream relayed)
    {
        await using (relayed)
        {
            RelayHeader header;
            try
            {
                header = RelayHeader.Decode(relayed.Header.Span);
            }
            catch (Exception ex)
            {
                log.LogWarning("bad relay header from a peer node: {Reason}", ex.Message);
                relayed.Reset();
                return;
            }
            if (!links.TryGet(header.TunnelId, out var link))
            {
                relayed.Reset();
                return;
            }
            var started = Environment.TickCount64;
            try
            {
                await using var agent = await link.OpenStreamAsync(header.Open, link.Closed);
                using var active = relay.Meter.Open(link.TunnelId);
                var bytes = await BytePump.RelayAsync(relayed, agent, active.Counting(relay.PolicyFor(header.Open.Kind)), link.Closed);
                var target = header.Open.Domain ?? header.Open.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture);
                relay.Record(link.TunnelId, $"{PublicRelay.Rule(header.Open.Kind)}:{target}", header.Open.ClientAddress,
                    bytes.BytesToStream, bytes.BytesFromStream, started);
            }
            catch (Exception ex) when (ex is MuxException or IOException or OperationCanceledException)
            {
                relayed.Reset();
            }
        }
    }
}
