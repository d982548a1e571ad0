using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Spokes.Tunnel.Control;

/// <summary>Control message framing: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.</summary>
public static class ControlCodec
{
    private static readonly HashSet<string> KnownTypes =
    [
        "hello", "welcome", "refused", "register", "registered", "shutdown", "ping", "pong", "syncRules", "httpAdd",
        "httpRemove", "tcpAllocate", "tcpAllocated", "tcpForward", "tcpReset", "tcpRelease", "ok", "error", "nodes", "drain",
    ];

    public static void Write(ControlMessage message, IBufferWriter<byte> output)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ControlMessage);
        if (json.Length > ControlProtocol.MaxMessageLength)
        {
            throw new ArgumentException($"control message of {json.Length} bytes exceeds {ControlProtocol.MaxMessageLength}", nameof(message));
        }

        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), json.Length);
        output.Advance(4);
        output.Write(json);
    }

    /// <summary>False when more bytes are needed; throws <see cref="ControlProtocolException"/> on bad input.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, out ControlMessage? message, out SequencePosition consumed)
    {
        message = null;
        consumed = buffer.Start;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length is <= 0 or > ControlProtocol.MaxMessageLength)
        {
            throw new ControlProtocolException($"control message length {length} is outside 1..{ControlProtocol.MaxMessageLength}");
        }

        if (buffer.Length < 4 + length)
        {
            return false;
        }

        ReadOnlySequence<byte> body = buffer.Slice(4, length);
        consumed = body.End;
        message = Deserialize(body);
        return true;
    }

    private static ControlMessage Deserialize(in ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            return JsonSerializer.Deserialize(ref reader, ControlJsonContext.Default.ControlMessage)
                ?? throw new ControlProtocolException("control message is null");
        }
        // Invalid UTF-8 in a string surfaces as InvalidOperationException (a fuzzed input found it: ParserFuzzTests).
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            string? type = PeekType(body);
            throw type is null || !KnownTypes.Contains(type)
                ? new ControlProtocolException(type is null
                    ? "control message has no \"type\""
                    : $"unknown control message type \"{type}\" (this side speaks control protocol {ControlProtocol.Version})", ex)
                : new ControlProtocolException($"malformed \"{type}\" control message: {ex.Message}", ex);
        }
    }

    private static string? PeekType(in ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
