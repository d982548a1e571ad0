using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.Acme;

/// <summary>
/// JSON Web Signatures the way ACME (RFC 8555 §6.2) wants them: flattened JSON serialization, ES256 over an
/// ECDSA P-256 key, the signature as raw r‖s (64 bytes), every part base64url without padding.
/// </summary>
public static class Jws
{
    public const string Algorithm = "ES256";

    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static byte[] FromBase64Url(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    /// <summary>The public JWK (RFC 7517) of a P-256 key, members in lexicographic order (crv, kty, x, y).</summary>
    public static JsonObject Jwk(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        if (p.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value && p.Curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            throw new ArgumentException("the ACME account key must be ECDSA P-256", nameof(key));
        return new JsonObject
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64Url(p.Q.X!),
            ["y"] = Base64Url(p.Q.Y!),
        };
    }

    /// <summary>RFC 7638 thumbprint: SHA-256 of the required members, lexicographic order, no whitespace; base64url.</summary>
    public static string Thumbprint(ECDsa key) => Thumbprint(Jwk(key));

    public static string Thumbprint(JsonObject jwk)
    {
        // Canonical form of an EC key: exactly these members in this order, no whitespace.
        var canonical = $"{{\"crv\":{Str(jwk["crv"])},\"kty\":{Str(jwk["kty"])},\"x\":{Str(jwk["x"])},\"y\":{Str(jwk["y"])}}}";
        return Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Str(JsonNode? node) => JsonSerializer.Serialize(node?.GetValue<string>() ?? throw new ArgumentException("incomplete JWK"));

    /// <summary>The key authorization of an http-01 challenge (RFC 8555 §8.1): token "." thumbprint.</summary>
    public static string KeyAuthorization(string token, ECDsa accountKey) => token + "." + Thumbprint(accountKey);

    /// <summary>
    /// A signed request body. <paramref name="kid"/> null: the JWK goes in the header (newAccount); otherwise the
    /// account URL. <paramref name="payload"/> null: POST-as-GET (empty payload).
    /// </summary>
    public static string Sign(ECDsa key, string url, string nonce, string? kid, JsonNode? payload)
    {
        var header = new JsonObject { ["alg"] = Algorithm };
        if (kid is null) header["jwk"] = Jwk(key);
        else header["kid"] = kid;
        header["nonce"] = nonce;
        header["url"] = url;
        var protectedPart = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString()));
        var payloadPart = payload is null ? "" : Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new JsonObject
        {
            ["protected"] = protectedPart,
            ["payload"] = payloadPart,
            ["signature"] = Base64Url(signature),
        }.ToJsonString();
    }
}
