using System.Buffers.Binary;

namespace Spokes.Edge.Sniffing;

/// <summary>Forward-only reader over a contiguous span of TLS-style length-prefixed fields.</summary>
internal ref struct SpanCursor(ReadOnlySpan<byte> span)
{
    private ReadOnlySpan<byte> _rest = span;

    public readonly int Remaining => _rest.Length;

    public bool TryU8(out byte value)
    {
        value = 0;
        if (_rest.Length < 1) return false;
        value = _rest[0];
        _rest = _rest[1..];
        return true;
    }

    public bool TryU16(out ushort value)
    {
        value = 0;
        if (_rest.Length < 2) return false;
        value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        return true;
    }

    public bool TrySkip(int count) => TrySlice(count, out _);

    public bool TrySlice(int count, out ReadOnlySpan<byte> slice)
    {
        slice = default;
        if (count < 0 || _rest.Length < count) return false;
        slice = _rest[..count];
        _rest = _rest[count..];
        return true;
    }

    /// <summary>Reads an opaque vector with a one-byte length prefix.</summary>
    public bool TryU8Vector(out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return TryU8(out var length) && TrySlice(length, out vector);
    }

    /// <summary>Reads an opaque vector with a two-byte big-endian length prefix.</summary>
    public bool TryU16Vector(out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return TryU16(out var length) && TrySlice(length, out vector);
    }
}
