using System.Buffers;

namespace Spokes.Tunnel.Pumps;

/// <summary>Settings of one relay.</summary>
public sealed record RelayOptions
{
    /// <summary>End the relay when no byte moves either way for this long; infinite by default.</summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Bytes already read from a (a peeked ClientHello or request head), written to b before anything else.
    /// Must stay valid until the relay ends.</summary>
    public ReadOnlySequence<byte> PrefixAToB { get; init; } = ReadOnlySequence<byte>.Empty;

    /// <summary>
    /// Ends the sending side of a stream when its source reached end of stream. Null: sockets, TLS and
    /// <see cref="IHalfCloseable"/> streams are half-closed, and a stream with no half-close ends the whole
    /// relay (as a success) so the caller's close passes the end on.
    /// </summary>
    public Func<Stream, ValueTask>? CompleteWrites { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
