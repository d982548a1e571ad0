using System.Text;

namespace Spokes.Tests.Support;

/// <summary>Hand-built ClientHello records, for cases a real client never sends.</summary>
internal static class HelloBuilder
{
    public static byte[] ServerNameExtension(string name) => ServerNameExtension(Encoding.ASCII.GetBytes(name));

    public static byte[] ServerNameExtension(byte[] name)
    {
        var entry = Concat([0], U16(name.Length), name);
        return Extension(0, Concat(U16(entry.Length), entry));
    }

    public static byte[] AlpnExtension(params string[] protocols)
    {
        var list = Concat(protocols.Select(p => Concat([(byte)p.Length], Encoding.ASCII.GetBytes(p))).ToArray());
        return Extension(16, Concat(U16(list.Length), list));
    }

    public static byte[] Extension(int type, byte[] data) => Concat(U16(type), U16(data.Length), data);

    /// <summary>A whole record: header, handshake header, body with the given extensions (null: no extensions block).</summary>
    public static byte[] Record(params byte[][]? extensions)
    {
        var body = Concat(
            [3, 3], new byte[32], [0], U16(2), [0x13, 0x01], [1, 0],
            extensions is null ? [] : Concat(U16(extensions.Sum(e => e.Length)), Concat(extensions)));
        var handshake = Concat([1, 0, (byte)(body.Length >> 8), (byte)body.Length], body);
        return Concat([22, 3, 1], U16(handshake.Length), handshake);
    }

    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
