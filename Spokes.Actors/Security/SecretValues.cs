using System.Security.Cryptography;
using System.Text;

namespace Spokes.Actors.Security;

/// <summary>Token values and the ids derived from them.</summary>
/// <remarks>
/// An entity id is the first 128 bits of SHA-256 over a purpose prefix and the value, so an agent's
/// key leads straight to its AuthToken entity without an index, and a copy of the store reveals ids,
/// never values.
/// </remarks>
public static class SecretValues
{
    /// <summary>A new token value: 160 random bits as 40 lowercase hex characters.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public static string NewId() => Guid.NewGuid().ToString("N");

    public static string DeriveId(string purpose, string value)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(purpose + ":" + value), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    public static string Digest(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("spokes-digest:" + value)));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    public static string Truncate(string value, int keep = 16) =>
        value.Length <= keep ? value : value[..keep] + "...";
}
