using System.Text.Json.Serialization;

namespace Spokes.Tunnel.Control;

/// <summary>
/// A control message: JSON with a "type" discriminator, sent length-prefixed on the control stream.
/// Unknown types are rejected (see <see cref="ControlCodec"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Hello), "hello")]
[JsonDerivedType(typeof(Welcome), "welcome")]
[JsonDerivedType(typeof(Refused), "refused")]
[JsonDerivedType(typeof(Register), "register")]
[JsonDerivedType(typeof(Registered), "registered")]
[JsonDerivedType(typeof(Deauthorize), "deauthorize")]
[JsonDerivedType(typeof(Deauthorized), "deauthorized")]
[JsonDerivedType(typeof(Shutdown), "shutdown")]
[JsonDerivedType(typeof(KeepAlivePing), "ping")]
[JsonDerivedType(typeof(KeepAlivePong), "pong")]
[JsonDerivedType(typeof(SyncRules), "syncRules")]
[JsonDerivedType(typeof(HttpAdd), "httpAdd")]
[JsonDerivedType(typeof(HttpRemove), "httpRemove")]
[JsonDerivedType(typeof(TcpAllocate), "tcpAllocate")]
[JsonDerivedType(typeof(TcpAllocated), "tcpAllocated")]
[JsonDerivedType(typeof(TcpForward), "tcpForward")]
[JsonDerivedType(typeof(TcpReset), "tcpReset")]
[JsonDerivedType(typeof(TcpRelease), "tcpRelease")]
[JsonDerivedType(typeof(TcpFirewall), "tcpFirewall")]
[JsonDerivedType(typeof(OkReply), "ok")]
[JsonDerivedType(typeof(ErrorReply), "error")]
[JsonDerivedType(typeof(NodesUpdate), "nodes")]
[JsonDerivedType(typeof(Drain), "drain")]
[JsonDerivedType(typeof(MonitorSettings), "monitor")]
[JsonDerivedType(typeof(ServiceStates), "services")]
[JsonDerivedType(typeof(ServerName), "serverName")]
public abstract record ControlMessage;

/// <summary>A message that expects an <see cref="OkReply"/> or <see cref="ErrorReply"/> with the same RequestId.</summary>
public abstract record ControlRequest : ControlMessage
{
    public long RequestId { get; init; }
}

/// <summary>The answer to a <see cref="ControlRequest"/>.</summary>
public abstract record ControlReply : ControlMessage
{
    public required long RequestId { get; init; }
}

public sealed record OkReply : ControlReply
{
    /// <summary>The port for TcpAllocate.</summary>
    public int? Port { get; init; }

    /// <summary>Per-rule outcome for SyncRules.</summary>
    public IReadOnlyList<RuleResult>? Results { get; init; }
}

public sealed record ErrorReply : ControlReply
{
    public required string Message { get; init; }
}

/// <summary>Outcome of one rule in SyncRules: Rule is "http:DOMAIN" or "tcp:PORT".</summary>
public sealed record RuleResult(string Rule, bool Accepted, string? Message = null);
