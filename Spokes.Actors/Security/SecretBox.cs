using System.Security.Cryptography;
using System.Text;

namespace Spokes.Actors.Security;

/// <summary>Encrypts secrets at rest (token values, TOTP seeds) with AES-256-GCM.</summary>
/// <remarks>
/// The key is derived (HKDF-SHA256) from the cluster certificate's private key, which every node and
/// the CLI already hold under <c>dataPath</c> with owner-only permissions. A copy of the database alone
/// therefore yields ciphertext only. Format: base64(nonce[12] | tag[16] | ciphertext).
/// </remarks>
public sealed class SecretBox
{
    private readonly byte[] _key;
    private readonly byte[] _labels;

    public SecretBox(byte[] keyMaterial)
    {
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keyMaterial, 32, salt: Encoding.UTF8.GetBytes("spokes-secretbox"),
            info: Encoding.UTF8.GetBytes("v1"));
        _labels = HKDF.DeriveKey(HashAlgorithmName.SHA256, keyMaterial, 32, salt: Encoding.UTF8.GetBytes("spokes-labels"),
            info: Encoding.UTF8.GetBytes("v1"));
    }

    /// <summary>A DNS label for <paramref name="value"/> that every node computes alike and nobody without the cluster
    /// certificate can: 16 characters of base32 (80 bits) of an HMAC under a key of its own.</summary>
    public string Label(string purpose, string value)
    {
        var mac = HMACSHA256.HashData(_labels, Encoding.UTF8.GetBytes(purpose + "\n" + value));
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var label = new char[16];
        for (var i = 0; i < label.Length; i++)
        {
            var bit = i * 5;
            var chunk = (mac[bit / 8] << 8 | mac[bit / 8 + 1]) >> (11 - bit % 8) & 0x1F;
            label[i] = alphabet[chunk];
        }
        return new string(label);
    }

    public string Seal(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + plain.Length];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, output.AsSpan(28), output.AsSpan(12, 16));
        return Convert.ToBase64String(output);
    }

    public string Open(string sealedValue)
    {
        var input = Convert.FromBase64String(sealedValue);
        if (input.Length < 28) throw new CryptographicException("sealed value is too short");
        var plain = new byte[input.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
