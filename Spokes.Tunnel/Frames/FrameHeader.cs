namespace Spokes.Tunnel.Frames;

/// <summary>
/// The fixed 12-byte header in front of every frame: version(1) type(1) flags(2)
/// streamId(4) length(4), big-endian. For Data frames Length is the payload length;
/// for WindowUpdate it is the window delta, for Ping an opaque value, for GoAway the code.
/// </summary>
internal readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, uint StreamId, uint Length)
{
    public const int Size = 12;

    /// <summary>The only frame version this build speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Largest Data payload accepted; larger frames are a protocol error.</summary>
    public const int MaxFrameLength = 64 * 1024;

    /// <summary>Largest open header a SYN frame may carry.</summary>
    public const int MaxOpenHeaderLength = 4 * 1024;

    /// <summary>Every stream starts with this receive window (both directions).</summary>
    public const int InitialWindow = 256 * 1024;

    public bool Has(FrameFlags flag) => (Flags & flag) != 0;

    /// <summary>Bytes following the header on the wire.</summary>
    public int PayloadLength => Type == FrameType.Data ? (int)Length : 0;
}
