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

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, ControlJsonContext.Default.StreamOpenHeader);

    public static StreamOpenHeader Decode(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, ControlJsonContext.Default.StreamOpenHeader)
                ?? throw new ControlProtocolException("empty stream open header");
        }
        catch (JsonException ex)
        {
            throw new ControlProtocolException($"malformed stream open header: {ex.Message}", ex);
        }
    }
}
