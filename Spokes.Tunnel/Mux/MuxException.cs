namespace Spokes.Tunnel.Mux;

/// <summary>A session or stream failure (session closed, stream reset, limits).</summary>
public class MuxException : IOException
{
    public MuxException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The peer broke the wire protocol; the session answers with GoAway(Code) and closes.</summary>
public sealed class MuxProtocolException : MuxException
{
    public MuxProtocolException(GoAwayCode code, string message) : base(message) => Code = code;

    public GoAwayCode Code { get; }
}

/// <summary>The stream was reset (RST) by either side; both directions are aborted.</summary>
public sealed class MuxStreamResetException : MuxException
{
    public MuxStreamResetException(uint streamId, bool byPeer)
        : base(byPeer ? $"stream {streamId} was reset by the peer" : $"stream {streamId} was reset") { }
}
