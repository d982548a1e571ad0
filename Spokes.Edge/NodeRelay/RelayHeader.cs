using System.Text.Json;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.NodeRelay;

/// <summary>Node → node on the SYN of a relayed stream: which tunnel, and the header for its agent.</summary>
public sealed record RelayHeader(string TunnelId, StreamOpenHeader Open)
{
    public const string Alpn = "spokes-relay/1";
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static RelayHeader Decode(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<RelayHeader>(json, Options) ?? throw new ControlProtocolException("empty relay header");
}
