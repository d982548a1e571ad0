using System.Buffers;
using System.Text;

namespace Spokes.Edge.Sniffing;

/// <summary>Collects the few header fields the edge routes on; validates every field line it is given.</summary>
internal sealed class HeaderFields
{
    public string? Host { get; private set; }
    public string? Upgrade { get; private set; }
    public string? Connection { get; private set; }

    /// <summary>Adds one field line (without CRLF); false when the line is malformed or Host repeats.</summary>
    public bool TryAdd(in ReadOnlySequence<byte> line)
    {
        ReadOnlySpan<byte> span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        var colon = span.IndexOf((byte)':');
        // A leading space or tab (obsolete line folding) fails the token check on the name.
        if (colon <= 0) return false;
        var name = span[..colon];
        foreach (var b in name)
        {
            if (!HttpChars.IsTokenChar(b)) return false;
        }
        var value = span[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (!HttpChars.IsFieldValueChar(b)) return false;
        }

        if (Is(name, "host"u8))
        {
            if (Host is not null) return false;
            Host = Encoding.Latin1.GetString(value);
        }
        else if (Is(name, "upgrade"u8))
        {
            Upgrade = Combine(Upgrade, value);
        }
        else if (Is(name, "connection"u8))
        {
            Connection = Combine(Connection, value);
        }
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowercase) =>
        Ascii.EqualsIgnoreCase(name, lowercase);

    private static string Combine(string? existing, ReadOnlySpan<byte> value) =>
        existing is null ? Encoding.Latin1.GetString(value) : existing + ", " + Encoding.Latin1.GetString(value);
}
