namespace Spokes.Tunnel.Control;

/// <summary>Constants of the control protocol (docs/protocol.md, "Control channel").</summary>
public static class ControlProtocol
{
    /// <summary>ALPN protocol id of agent connections to a node.</summary>
    public const string Alpn = "spokes/1";

    /// <summary>Version carried in Hello and Welcome; a peer of another version is refused with versionMismatch.</summary>
    public const int Version = 1;

    /// <summary>Largest control message (JSON body, without its 4-byte length prefix).</summary>
    public const int MaxMessageLength = 64 * 1024;

    /// <summary>Default time allowed for Hello → Welcome (or Register → Registered).</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
}

/// <summary>Values of <see cref="Refused.Code"/>.</summary>
public static class RefusalCodes
{
    public const string Unauthorized = "unauthorized";
    public const string Inactive = "inactive";
    public const string VersionMismatch = "versionMismatch";
    public const string PoolFull = "poolFull";
    public const string Busy = "busy";
    public const string UnknownSession = "unknownSession";
    public const string BadRequest = "badRequest";
}
