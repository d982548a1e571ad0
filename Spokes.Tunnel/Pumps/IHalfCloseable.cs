namespace Spokes.Tunnel.Pumps;

/// <summary>
/// A duplex stream that can end its sending side while still reading (TCP's FIN, a multiplexed
/// stream's close flag). The pump calls it when the other side of a relay reaches end of stream.
/// </summary>
public interface IHalfCloseable
{
    /// <summary>Signals end of stream to the peer; reads keep working until the peer ends too.</summary>
    ValueTask CompleteWritesAsync();
}
