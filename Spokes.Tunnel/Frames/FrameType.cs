namespace Spokes.Tunnel.Frames;

/// <summary>Frame types of the multiplexer (docs/protocol.md, "Frame types").</summary>
internal enum FrameType : byte
{
    Data = 0,
    WindowUpdate = 1,
    Ping = 2,
    GoAway = 3,
}

/// <summary>Flags of the multiplexer header; several may be set at once.</summary>
[Flags]
internal enum FrameFlags : ushort
{
    None = 0,
    Syn = 0x1,
    Ack = 0x2,
    Fin = 0x4,
    Rst = 0x8,
}
