using System.Buffers;
using System.Text;

namespace Spokes.Edge.Sniffing;

/// <summary>
/// Reads an HTTP/1.x request head (RFC 9112 §3, §5) far enough to route it, without consuming it.
/// Stateless like <see cref="ClientHelloParser"/>: call again with the whole buffer when more arrives.
/// Strict on purpose: the edge closes what it cannot route, so anything odd is <see cref="SniffResult.NotMine"/>.
/// </summary>
internal static class HttpHeadParser
{
    /// <summary>Head bytes the parser will wait for; a longer head is <see cref="SniffResult.NotMine"/>.</summary>
    public const int MaxHeadLength = 16 * 1024;

    private const int MaxMethodLength = 32;

    public static SniffResult TryParse(in ReadOnlySequence<byte> buffer, out HttpRequestHead? head)
    {
        var window = buffer.Length > MaxHeadLength ? buffer.Slice(0, MaxHeadLength) : buffer;
        var result = Parse(window, out head);
        return result == SniffResult.NotEnoughData && buffer.Length >= MaxHeadLength ? SniffResult.NotMine : result;
    }

    private static SniffResult Parse(in ReadOnlySequence<byte> buffer, out HttpRequestHead? head)
    {
        head = null;
        var reader = new SequenceReader<byte>(buffer);

        var method = ReadUntilSpace(ref reader, HttpChars.IsTokenChar, MaxMethodLength, out var methodBytes);
        if (method != SniffResult.Found) return method;
        var target = ReadUntilSpace(ref reader, HttpChars.IsTargetChar, MaxHeadLength, out var targetBytes);
        if (target != SniffResult.Found) return target;
        var version = ReadVersion(ref reader, out var minor);
        if (version != SniffResult.Found) return version;

        var headers = new HeaderFields();
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8)) return SniffResult.NotEnoughData;
            if (line.IsEmpty) break;
            if (!headers.TryAdd(line)) return SniffResult.NotMine;
        }

        var targetText = Encoding.Latin1.GetString(targetBytes);
        var absolute = HttpChars.TryGetAbsoluteAuthority(targetText, out var authority);
        var hostSource = absolute ? authority : headers.Host;
        string? host = null;
        if (hostSource is not null && !HttpChars.TryNormalizeHost(hostSource, out host)) return SniffResult.NotMine;
        // An absolute-form target names one host and the Host header may name another: the edge would route by one
        // and the service read the other. Such a request is not routed at all.
        if (absolute && headers.Host is not null
            && (!HttpChars.TryNormalizeHost(headers.Host, out var named) || !string.Equals(named, host, StringComparison.Ordinal)))
            return SniffResult.NotMine;

        head = new HttpRequestHead(
            Encoding.Latin1.GetString(methodBytes),
            targetText,
            minor == '0' ? "HTTP/1.0" : "HTTP/1.1",
            host,
            headers.Upgrade,
            headers.Connection,
            (int)reader.Consumed);
        return SniffResult.Found;
    }

    private static SniffResult ReadUntilSpace(
        ref SequenceReader<byte> reader, Func<byte, bool> allowed, int maxLength, out ReadOnlySequence<byte> value)
    {
        value = default;
        var start = reader.Position;
        var length = 0;
        while (true)
        {
            if (!reader.TryRead(out var b)) return SniffResult.NotEnoughData;
            if (b == (byte)' ') break;
            if (!allowed(b) || ++length > maxLength) return SniffResult.NotMine;
        }
        if (length == 0) return SniffResult.NotMine;
        value = reader.Sequence.Slice(start, length);
        return SniffResult.Found;
    }

    private static SniffResult ReadVersion(ref SequenceReader<byte> reader, out byte minor)
    {
        minor = 0;
        foreach (var expected in "HTTP/1."u8)
        {
            if (!reader.TryRead(out var b)) return SniffResult.NotEnoughData;
            if (b != expected) return SniffResult.NotMine;
        }
        if (!reader.TryRead(out minor)) return SniffResult.NotEnoughData;
        if (minor is not ((byte)'0' or (byte)'1')) return SniffResult.NotMine;
        if (!reader.TryRead(out var cr)) return SniffResult.NotEnoughData;
        if (cr != (byte)'\r') return SniffResult.NotMine;
        if (!reader.TryRead(out var lf)) return SniffResult.NotEnoughData;
        return lf == (byte)'\n' ? SniffResult.Found : SniffResult.NotMine;
    }
}
