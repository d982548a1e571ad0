namespace Spokes.Tunnel.Mux;

/// <summary>Reason carried in the Length field of a GoAway frame.</summary>
public enum GoAwayCode : uint
{
    Normal = 0,
    ProtocolError = 1,
    InternalError = 2,
    UnsupportedVersion = 3,
}
