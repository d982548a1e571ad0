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

    public SecretBox(byte[] keyMaterial)
    {
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keyMaterial, 32, salt: Encoding.UTF8.GetBytes("spokes-secretbox"),
            info: Encoding.UTF8.GetBytes("v1"));
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
