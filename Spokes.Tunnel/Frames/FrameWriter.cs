using System.Buffers;
using System.Buffers.Binary;

namespace Spokes.Tunnel.Frames;

/// <summary>Writes frames straight into the connection's buffer writer (no intermediate arrays).</summary>
internal static class FrameWriter
{
    public static void Write(in FrameHeader header, IBufferWriter<byte> output)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size);
        span[0] = FrameHeader.CurrentVersion;
        span[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)header.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], header.StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], header.Length);
        output.Advance(FrameHeader.Size);
    }

    /// <summary>Writes a Data frame: header, then the payload (at most MaxFrameLength bytes).</summary>
    public static void WriteData(uint streamId, FrameFlags flags, in ReadOnlySequence<byte> payload, IBufferWriter<byte> output)
    {
        Write(new FrameHeader(FrameType.Data, flags, streamId, (uint)payload.Length), output);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            output.Write(segment.Span);
        }
    }

    public static void WriteData(uint streamId, FrameFlags flags, ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        Write(new FrameHeader(FrameType.Data, flags, streamId, (uint)payload.Length), output);
        output.Write(payload);
    }
}
