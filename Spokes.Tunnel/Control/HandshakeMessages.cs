using System.Text.Json.Serialization;

namespace Spokes.Tunnel.Control;

[JsonConverter(typeof(JsonStringEnumConverter<ConnectionRole>))]
public enum ConnectionRole
{
    /// <summary>The first pool connection: carries the control channel and opens a session.</summary>
    [JsonStringEnumMemberName("control")] Control,

    /// <summary>A further pool connection joining an existing session (SessionId + SessionSecret).</summary>
    [JsonStringEnumMemberName("data")] Data,
}

/// <summary>Agent → node, first message on every pool connection.</summary>
public sealed record Hello : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string AgentVersion { get; init; }
    public required string Key { get; init; }
    public required ConnectionRole Role { get; init; }
    public string? SessionId { get; init; }
    public string? SessionSecret { get; init; }
}

/// <summary>Node → agent: Hello accepted.</summary>
public sealed record Welcome : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string TunnelId { get; init; }
    public required string SessionId { get; init; }
    public required string SessionSecret { get; init; }
    public required int MaxPoolSize { get; init; }
    public required string ServerVersion { get; init; }
}

/// <summary>Node → agent: Hello or Register refused; the node closes the connection after it.</summary>
public sealed record Refused : ControlMessage
{
    public required string Code { get; init; }
    public required string Message { get; init; }
}

/// <summary>Agent → node on a one-shot connection: trade a registration token for a key.</summary>
public sealed record Register : ControlMessage
{
    public required int ProtocolVersion { get; init; }
    public required string RegistrationToken { get; init; }
    public string? UserId { get; init; }
    public string? TunnelHostname { get; init; }
}

public sealed record Registered : ControlMessage
{
    public required string Key { get; init; }
}

/// <summary>Node → agent: the tunnel was shut down or deactivated; the agent stops and must not retry in a hot loop.</summary>
public sealed record Shutdown : ControlMessage
{
    public required string Reason { get; init; }
}

/// <summary>Keepalive, either direction; answered with a pong carrying the same nonce.</summary>
public sealed record KeepAlivePing : ControlMessage
{
    public required long Nonce { get; init; }
}

public sealed record KeepAlivePong : ControlMessage
{
    public required long Nonce { get; init; }
}
