using System.Buffers;
using System.Buffers.Binary;
using Spokes.Tunnel.Mux;

namespace Spokes.Tunnel.Frames;

/// <summary>Parses multiplexer frames out of a byte sequence without consuming partial frames.</summary>
internal static class FrameReader
{
    /// <summary>
    /// Returns false when more bytes are needed. Throws <see cref="MuxProtocolException"/> as soon
    /// as the header is malformed (bad version, unknown type, oversized length), so a hostile peer
    /// cannot make us buffer a frame we will reject anyway.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, out FrameHeader header,
        out ReadOnlySequence<byte> payload, out SequencePosition consumed)
    {
        header = default;
        payload = default;
        consumed = buffer.Start;
        if (buffer.Length < FrameHeader.Size)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[FrameHeader.Size];
        ReadOnlySpan<byte> raw = buffer.FirstSpan.Length >= FrameHeader.Size
            ? buffer.FirstSpan[..FrameHeader.Size]
            : Copy(buffer, scratch);

        header = Decode(raw);
        long total = FrameHeader.Size + header.PayloadLength;
        if (buffer.Length < total)
        {
            return false;
        }

        payload = buffer.Slice(FrameHeader.Size, header.PayloadLength);
        consumed = payload.End;
        return true;
    }

    public static FrameHeader Decode(ReadOnlySpan<byte> raw)
    {
        byte version = raw[0];
        if (version != FrameHeader.CurrentVersion)
        {
            throw new MuxProtocolException(GoAwayCode.UnsupportedVersion,
                $"peer sent frame version {version}; this side speaks version {FrameHeader.CurrentVersion}");
        }

        byte type = raw[1];
        if (type > (byte)FrameType.GoAway)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, $"unknown frame type {type}");
        }

        var flags = (FrameFlags)BinaryPrimitives.ReadUInt16BigEndian(raw[2..]);
        uint streamId = BinaryPrimitives.ReadUInt32BigEndian(raw[4..]);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(raw[8..]);
        if (type == (byte)FrameType.Data && length > FrameHeader.MaxFrameLength)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError,
                $"data frame of {length} bytes exceeds the maximum of {FrameHeader.MaxFrameLength}");
        }

        return new FrameHeader((FrameType)type, flags, streamId, length);
    }

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> buffer, Span<byte> scratch)
    {
        buffer.Slice(0, FrameHeader.Size).CopyTo(scratch);
        return scratch;
    }
}
