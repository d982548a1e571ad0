using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Tunnel.Control;

[JsonConverter(typeof(JsonStringEnumConverter<StreamKind>))]
public enum StreamKind
{
    [JsonStringEnumMemberName("http")] Http,
    [JsonStringEnumMemberName("tls")] Tls,
    [JsonStringEnumMemberName("tcp")] Tcp,
}

/// <summary>
/// Node → agent on the SYN of every data stream: which rule the visitor's connection is for
/// (Domain for http/tls, Port for tcp), the visitor's address and whether the edge terminated its TLS.
/// </summary>
public sealed record StreamOpenHeader
{
    public required StreamKind Kind { get; init; }
    public string? Domain { get; init; }
    public int? Port { get; init; }
    public required string ClientAddress { get; init; }

    /// <summary>Set on an http stream whose visitor came over HTTPS that the edge terminated (the agent then marks
    /// its visitor-auth cookie Secure).</summary>
    public bool? EdgeTls { get; init; }

    /// <summary>Set when the visitor asked for the tunnel's automatic hostname, which routes to the rule for
    /// <see cref="Domain"/>: the name the visitor uses (its Host and SNI).</summary>
    public string? Alias { get; init; }

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, ControlJsonContext.Default.StreamOpenHeader);

    public static StreamOpenHeader Decode(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, ControlJsonContext.Default.StreamOpenHeader)
                ?? throw new ControlProtocolException("empty stream open header");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new ControlProtocolException($"malformed stream open header: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// Agent → node on the SYN of a stream the agent opens for one connection to one of its port maps
/// (<c>spokes-agent map</c>): where the connection goes, named as for SOCKS (<c>D:80</c>, <c>D:443</c>,
/// <c>&lt;server domain&gt;:P</c>, or a destination the node's <c>socks.allow</c> opens). The node's first byte on
/// the stream is a SOCKS5 reply code (0 = connected); the bytes of the connection follow.
/// </summary>
public sealed record MapOpenHeader
{
    /// <summary>Longest accepted header: a hostname of 253 characters, a port, and JSON around them.</summary>
    public const int MaxLength = 512;

    /// <summary><c>host:port</c> (an IPv6 address in brackets).</summary>
    public required string To { get; init; }

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, ControlJsonContext.Default.MapOpenHeader);

    /// <summary>The header, or null when it is not one (too long, not JSON, no destination).</summary>
    public static MapOpenHeader? TryDecode(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length is 0 or > MaxLength) return null;
        try
        {
            return JsonSerializer.Deserialize(utf8Json, ControlJsonContext.Default.MapOpenHeader) is { To.Length: > 0 } header ? header : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }
}
