namespace Spokes.Edge.Sniffing;

/// <summary>Character classes and host handling from RFC 9110/9112/3986, as the edge applies them.</summary>
internal static class HttpChars
{
    public static bool IsTokenChar(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        || "!#$%&'*+-.^_`|~"u8.Contains(b);

    /// <summary>Visible ASCII plus obs-text; no spaces or controls.</summary>
    public static bool IsTargetChar(byte b) => b > 0x20 && b != 0x7F;

    public static bool IsFieldValueChar(byte b) => b == (byte)'\t' || (b >= 0x20 && b != 0x7F);

    /// <summary>Authority of an absolute-form target (http://authority/...), which overrides Host (RFC 9112 §3.2.2).</summary>
    public static bool TryGetAbsoluteAuthority(string target, out string authority)
    {
        authority = "";
        var schemeEnd = target.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return false;
        var scheme = target.AsSpan(0, schemeEnd);
        if (!scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var rest = target[(schemeEnd + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        authority = end < 0 ? rest : rest[..end];
        return true;
    }

    /// <summary>Lowercases, strips the port and a trailing dot; false for userinfo, bad ports or odd characters.</summary>
    public static bool TryNormalizeHost(string raw, out string? host)
    {
        host = null;
        if (raw.Length == 0) return true;
        string name;
        string port;
        if (raw[0] == '[')
        {
            var close = raw.IndexOf(']');
            if (close < 0) return false;
            name = raw[..(close + 1)];
            var after = raw[(close + 1)..];
            if (after.Length > 0 && after[0] != ':') return false;
            port = after.Length > 0 ? after[1..] : "";
            if (!name[1..^1].All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')) return false;
        }
        else
        {
            var colon = raw.LastIndexOf(':');
            name = colon < 0 ? raw : raw[..colon];
            port = colon < 0 ? "" : raw[(colon + 1)..];
            if (name.EndsWith('.')) name = name[..^1];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')) return false;
        }
        if (port.Length > 5 || !port.All(char.IsAsciiDigit)) return false;
        host = name.ToLowerInvariant();
        return true;
    }
}
