using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>Limits and tuning of one multiplexer session. Defaults suit a node or an agent.</summary>
public sealed record MuxOptions
{
    public static MuxOptions Default { get; } = new();

    /// <summary>Per-stream receive window; at least the protocol's initial 256 KiB, grown by a WindowUpdate on open.</summary>
    public int ReceiveWindow { get; init; } = FrameHeader.InitialWindow;

    /// <summary>Bytes an application may buffer in a stream's output before its FlushAsync waits.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;

    /// <summary>Largest Data frame this side writes; smaller chunks interleave streams more fairly.</summary>
    public int MaxChunkSize { get; init; } = 16 * 1024;

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

        if (MaxChunkSize is < 1024 or > FrameHeader.MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChunkSize), $"must be 1024..{FrameHeader.MaxFrameLength}");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferSize, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxControlQueue, 16);
    }
}
