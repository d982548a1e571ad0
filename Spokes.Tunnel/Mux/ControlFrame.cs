using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>A header-only frame queued for the write loop; for WindowUpdateOf the delta is taken when written.</summary>
internal readonly record struct ControlFrame(FrameHeader Header, MuxStream? WindowUpdateOf = null);
