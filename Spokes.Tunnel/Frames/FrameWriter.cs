using System.Buffers;
using System.Buffers.Binary;

namespace Spokes.Tunnel.Frames;

/// <summary>Writes frames straight into the connection's buffer writer (no intermediate arrays).</summary>
internal static class FrameWriter
{
    public static void Write(in FrameHeader header, IBufferWriter<byte> output)
    {
        WriteHeader(header, output.GetSpan(FrameHeader.Size));
        output.Advance(FrameHeader.Size);
    }

    /// <summary>Writes a Data frame, header and payload (at most MaxFrameLength bytes) in one span of the writer: the
    /// transport then hands the frame to TLS as one buffer (whole records) instead of one pool block at a time.</summary>
    public static void WriteData(uint streamId, FrameFlags flags, in ReadOnlySequence<byte> payload, IBufferWriter<byte> output)
    {
        int length = (int)payload.Length;
        Span<byte> span = output.GetSpan(FrameHeader.Size + length);
        WriteHeader(new FrameHeader(FrameType.Data, flags, streamId, (uint)length), span);
        payload.CopyTo(span[FrameHeader.Size..]);
        output.Advance(FrameHeader.Size + length);
    }

    public static void WriteData(uint streamId, FrameFlags flags, ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size + payload.Length);
        WriteHeader(new FrameHeader(FrameType.Data, flags, streamId, (uint)payload.Length), span);
        payload.CopyTo(span[FrameHeader.Size..]);
        output.Advance(FrameHeader.Size + payload.Length);
    }

    private static void WriteHeader(in FrameHeader header, Span<byte> span)
    {
        span[0] = FrameHeader.CurrentVersion;
        span[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)header.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], header.StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], header.Length);
    }
}
