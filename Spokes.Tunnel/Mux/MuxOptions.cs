using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>Limits and tuning of one multiplexer session. Defaults suit a node or an agent.</summary>
public sealed record MuxOptions
{
    public static MuxOptions Default { get; } = new();

    /// <summary>Per-stream receive window; at least the protocol's initial 256 KiB, grown by a WindowUpdate on open.</summary>
    public int ReceiveWindow { get; init; } = FrameHeader.InitialWindow;

    /// <summary>Largest receive window a stream grows to while it carries bulk data (docs/protocol.md, "Windows").</summary>
    public int MaxReceiveWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>Window growth beyond the initial windows that one session grants in total: what a peer can make
    /// this side buffer on top of <see cref="MaxStreams"/> × <see cref="ReceiveWindow"/>.</summary>
    public long MaxWindowGrowth { get; init; } = 32L * 1024 * 1024;

    /// <summary>Round-trip time assumed for window growth until a Ping has measured one.</summary>
    public TimeSpan AssumedRoundTrip { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Bytes an application may buffer in a stream's output before its FlushAsync waits.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;

    /// <summary>Largest Data payload this side writes: with its header a frame is exactly 64 KiB, four full TLS
    /// records; smaller chunks would interleave streams more finely at the cost of more headers and records per byte.</summary>
    public int MaxChunkSize { get; init; } = 64 * 1024 - FrameHeader.Size;

    /// <summary>Open streams (both directions) before new SYNs are refused with RST.</summary>
    public int MaxStreams { get; init; } = 1024;

    /// <summary>Queued control frames (window updates, pings, resets) before the peer is declared abusive.</summary>
    public int MaxControlQueue { get; init; } = 8192;

    /// <summary>How long the final GoAway may take to flush before the connection is dropped.</summary>
    public TimeSpan GoAwayTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (ReceiveWindow < FrameHeader.InitialWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveWindow), $"must be at least {FrameHeader.InitialWindow}");
        }

        if (MaxReceiveWindow < ReceiveWindow || MaxReceiveWindow > int.MaxValue / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveWindow), $"must be {ReceiveWindow}..{int.MaxValue / 2}");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxWindowGrowth);
        if (MaxChunkSize is < 1024 or > FrameHeader.MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChunkSize), $"must be 1024..{FrameHeader.MaxFrameLength}");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferSize, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxControlQueue, 16);
    }
}
