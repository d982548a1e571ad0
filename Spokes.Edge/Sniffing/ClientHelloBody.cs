using System.Text;

namespace Spokes.Edge.Sniffing;

/// <summary>Parses the body of a complete ClientHello handshake message.</summary>
internal static class ClientHelloBody
{
    private const ushort ExtensionServerName = 0;
    private const ushort ExtensionAlpn = 16;
    private const byte NameTypeHostName = 0;
    private const int MaxHostNameLength = 253;

    public static SniffResult TryRead(ReadOnlySpan<byte> body, int wireLength, out ClientHelloInfo? info)
    {
        info = null;
        var cursor = new SpanCursor(body);
        if (!cursor.TryU16(out var legacyVersion) || legacyVersion >> 8 != 3) return SniffResult.NotMine;
        if (!cursor.TrySkip(32)) return SniffResult.NotMine;
        if (!cursor.TryU8Vector(out var sessionId) || sessionId.Length > 32) return SniffResult.NotMine;
        if (!cursor.TryU16Vector(out var suites) || suites.Length < 2 || suites.Length % 2 != 0) return SniffResult.NotMine;
        if (!cursor.TryU8Vector(out var compression) || compression.Length < 1) return SniffResult.NotMine;

        string? serverName = null;
        var protocols = new List<string>();
        // Extensions are optional in old hellos; when present the block must end exactly at the message end.
        if (cursor.Remaining > 0)
        {
            if (!cursor.TryU16Vector(out var extensions) || cursor.Remaining != 0) return SniffResult.NotMine;
            var ext = new SpanCursor(extensions);
            bool sawServerName = false, sawAlpn = false;
            while (ext.Remaining > 0)
            {
                if (!ext.TryU16(out var type) || !ext.TryU16Vector(out var data)) return SniffResult.NotMine;
                switch (type)
                {
                    case ExtensionServerName when sawServerName:
                    case ExtensionAlpn when sawAlpn:
                        return SniffResult.NotMine;
                    case ExtensionServerName:
                        sawServerName = true;
                        if (!TryReadServerName(data, out serverName)) return SniffResult.NotMine;
                        break;
                    case ExtensionAlpn:
                        sawAlpn = true;
                        if (!TryReadAlpn(data, protocols)) return SniffResult.NotMine;
                        break;
                }
            }
        }

        info = new ClientHelloInfo(serverName, protocols, wireLength);
        return SniffResult.Found;
    }

    private static bool TryReadServerName(ReadOnlySpan<byte> data, out string? serverName)
    {
        serverName = null;
        var outer = new SpanCursor(data);
        if (!outer.TryU16Vector(out var list) || outer.Remaining != 0 || list.IsEmpty) return false;
        var names = new SpanCursor(list);
        while (names.Remaining > 0)
        {
            if (!names.TryU8(out var nameType) || !names.TryU16Vector(out var name)) return false;
            if (nameType != NameTypeHostName || serverName is not null) continue;
            if (!TryNormalizeHostName(name, out serverName)) return false;
        }
        return true;
    }

    private static bool TryNormalizeHostName(ReadOnlySpan<byte> name, out string? hostName)
    {
        hostName = null;
        if (name.Length > 0 && name[^1] == (byte)'.') name = name[..^1];
        if (name.IsEmpty || name.Length > MaxHostNameLength) return false;
        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
        {
            var c = (char)name[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')) return false;
            chars[i] = char.ToLowerInvariant(c);
        }
        hostName = new string(chars);
        return true;
    }

    private static bool TryReadAlpn(ReadOnlySpan<byte> data, List<string> protocols)
    {
        var outer = new SpanCursor(data);
        if (!outer.TryU16Vector(out var list) || outer.Remaining != 0 || list.IsEmpty) return false;
        var entries = new SpanCursor(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryU8Vector(out var protocol) || protocol.IsEmpty) return false;
            protocols.Add(Encoding.Latin1.GetString(protocol));
        }
        return true;
    }
}
