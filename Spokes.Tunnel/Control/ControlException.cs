namespace Spokes.Tunnel.Control;

/// <summary>The peer sent a malformed, unknown, oversized or unexpected control message.</summary>
public class ControlProtocolException : IOException
{
    public ControlProtocolException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The node refused Hello or Register; <see cref="Code"/> is one of <see cref="RefusalCodes"/>.</summary>
public sealed class ControlRefusedException : ControlProtocolException
{
    public ControlRefusedException(string code, string message) : base($"refused ({code}): {message}") => Code = code;

    public string Code { get; }
}

/// <summary>A request was answered with an Error reply.</summary>
public sealed class ControlRequestException : Exception
{
    public ControlRequestException(string message) : base(message) { }
}
