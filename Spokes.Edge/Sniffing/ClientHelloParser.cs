using System.Buffers;

namespace Spokes.Edge.Sniffing;

/// <summary>
/// Reads SNI and ALPN from a TLS ClientHello without consuming it (RFC 8446 §4.1.2, RFC 6066 §3,
/// RFC 7301). Stateless: call it again with the whole buffer whenever more bytes arrive; the
/// caller keeps the bytes with <c>AdvanceTo(buffer.Start, buffer.End)</c> while the result is
/// <see cref="SniffResult.NotEnoughData"/>.
/// </summary>
internal static class ClientHelloParser
{
    /// <summary>Wire bytes (records included) the parser will wait for; a longer hello is <see cref="SniffResult.NotMine"/>.</summary>
    public const int MaxWireLength = 16 * 1024;

    private const byte ContentTypeHandshake = 22;
    private const byte HandshakeTypeClientHello = 1;
    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;
    private const int MaxRecordLength = 16 * 1024;
    // legacy_version + random + empty session id + one suite + one compression method.
    private const int MinHelloBodyLength = 2 + 32 + 1 + 4 + 2;

    public static SniffResult TryParse(in ReadOnlySequence<byte> buffer, out ClientHelloInfo? info)
    {
        info = null;
        var walk = Walk(buffer, out var helloLength, out var wireLength);
        if (walk != SniffResult.Found) return walk;

        var messageLength = HandshakeHeaderLength + helloLength;
        var message = ArrayPool<byte>.Shared.Rent(messageLength);
        try
        {
            Gather(buffer, message.AsSpan(0, messageLength));
            return ClientHelloBody.TryRead(message.AsSpan(HandshakeHeaderLength, helloLength), wireLength, out info);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    /// <summary>Checks record framing and the handshake header; Found once the whole hello has arrived.</summary>
    private static SniffResult Walk(in ReadOnlySequence<byte> buffer, out int helloLength, out int wireLength)
    {
        helloLength = -1;
        wireLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> header = stackalloc byte[HandshakeHeaderLength];
        var headerFilled = 0;
        var payloadSeen = 0;
        while (true)
        {
            var recordHeader = ReadRecordHeader(ref reader, out var recordLength);
            if (recordHeader != SniffResult.Found) return recordHeader;

            var available = (int)Math.Min(recordLength, reader.Remaining);
            var take = Math.Min(HandshakeHeaderLength - headerFilled, available);
            if (take > 0)
            {
                reader.UnreadSequence.Slice(0, take).CopyTo(header[headerFilled..]);
                headerFilled += take;
                if (header[0] != HandshakeTypeClientHello) return SniffResult.NotMine;
                if (headerFilled == HandshakeHeaderLength)
                {
                    helloLength = (header[1] << 16) | (header[2] << 8) | header[3];
                    if (helloLength < MinHelloBodyLength
                        || HandshakeHeaderLength + helloLength + RecordHeaderLength > MaxWireLength)
                    {
                        return SniffResult.NotMine;
                    }
                }
            }

            var before = payloadSeen;
            payloadSeen += available;
            if (helloLength >= 0 && payloadSeen >= HandshakeHeaderLength + helloLength)
            {
                wireLength = (int)reader.Consumed + (HandshakeHeaderLength + helloLength - before);
                return SniffResult.Found;
            }

            if (reader.Consumed + available >= MaxWireLength) return SniffResult.NotMine;
            if (available < recordLength) return SniffResult.NotEnoughData;
            reader.Advance(available);
        }
    }

    private static SniffResult ReadRecordHeader(ref SequenceReader<byte> reader, out int recordLength)
    {
        recordLength = 0;
        // Judge each byte as soon as it arrives so garbage is rejected early.
        if (!reader.TryRead(out var contentType)) return SniffResult.NotEnoughData;
        if (contentType != ContentTypeHandshake) return SniffResult.NotMine;
        if (!reader.TryRead(out var major)) return SniffResult.NotEnoughData;
        if (major != 3) return SniffResult.NotMine;
        if (!reader.TryRead(out var minor)) return SniffResult.NotEnoughData;
        if (minor > 4) return SniffResult.NotMine;
        if (!reader.TryReadBigEndian(out short length)) return SniffResult.NotEnoughData;
        recordLength = (ushort)length;
        return recordLength is 0 or > MaxRecordLength ? SniffResult.NotMine : SniffResult.Found;
    }

    /// <summary>Copies the handshake payload of consecutive records into <paramref name="destination"/>.</summary>
    private static void Gather(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        var reader = new SequenceReader<byte>(buffer);
        var filled = 0;
        while (filled < destination.Length)
        {
            reader.Advance(3);
            reader.TryReadBigEndian(out short length);
            var take = Math.Min((ushort)length, destination.Length - filled);
            reader.UnreadSequence.Slice(0, take).CopyTo(destination[filled..]);
            reader.Advance(take);
            filled += take;
        }
    }
}
