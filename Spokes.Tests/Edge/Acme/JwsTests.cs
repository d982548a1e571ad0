using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spokes.Acme;
using Spokes.Edge.Acme;

namespace Spokes.Tests.Edge.Acme;

public sealed class JwsTests
{
    [Fact]
    public void Base64url_has_no_padding_and_uses_the_url_alphabet()
    {
        var bytes = new byte[] { 0xfb, 0xff, 0xfe, 0x3e };
        var text = Jws.Base64Url(bytes);
        Assert.Equal("-__-Pg", text);
        Assert.Equal(bytes, Jws.FromBase64Url(text));
    }

    [Fact]
    public void Signature_verifies_with_the_public_key_and_the_header_carries_alg_jwk_nonce_url()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = JsonNode.Parse(Jws.Sign(key, "https://acme.test/new-acct", "nonce-1", kid: null,
            new JsonObject { ["termsOfServiceAgreed"] = true }))!;

        var protectedPart = body["protected"]!.GetValue<string>();
        var payloadPart = body["payload"]!.GetValue<string>();
        var signature = Jws.FromBase64Url(body["signature"]!.GetValue<string>());
        Assert.Equal(64, signature.Length);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        var header = JsonNode.Parse(Jws.FromBase64Url(protectedPart))!;
        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
        Assert.Equal("nonce-1", header["nonce"]!.GetValue<string>());
        Assert.Equal("https://acme.test/new-acct", header["url"]!.GetValue<string>());
        Assert.Null(header["kid"]);
        Assert.Equal("P-256", header["jwk"]!["crv"]!.GetValue<string>());
        Assert.Null(header["jwk"]!["d"]);
        Assert.True(JsonNode.Parse(Jws.FromBase64Url(payloadPart))!["termsOfServiceAgreed"]!.GetValue<bool>());
        Assert.DoesNotContain('=', protectedPart + payloadPart + body["signature"]!.GetValue<string>());

        // Another key's signature does not verify.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(other.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Kid_requests_name_the_account_and_post_as_get_has_an_empty_payload()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = JsonNode.Parse(Jws.Sign(key, "https://acme.test/order/1", "n", kid: "https://acme.test/acct/7", payload: null))!;
        var header = JsonNode.Parse(Jws.FromBase64Url(body["protected"]!.GetValue<string>()))!;
        Assert.Equal("https://acme.test/acct/7", header["kid"]!.GetValue<string>());
        Assert.Null(header["jwk"]);
        Assert.Equal("", body["payload"]!.GetValue<string>());
    }

    [Fact]
    public void Thumbprint_is_sha256_of_the_canonical_jwk_whatever_the_member_order()
    {
        // Self-consistency (the RFC 7638 example is an RSA key): the canonical form built by hand from the key's point.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = key.ExportParameters(false).Q;
        var (X, Y) = (Jws.Base64Url(point.X!), Jws.Base64Url(point.Y!));
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{X}\",\"y\":\"{Y}\"}}";
        var expected = Jws.Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

        Assert.Equal(expected, Jws.Thumbprint(key));
        var shuffled = new JsonObject { ["y"] = Y, ["x"] = X, ["kty"] = "EC", ["crv"] = "P-256", ["use"] = "sig" };
        Assert.Equal(expected, Jws.Thumbprint(shuffled));
        Assert.Equal(canonical, Jws.Jwk(key).ToJsonString());
        Assert.Equal(43, expected.Length);
    }

    [Fact]
    public void Key_authorization_is_token_dot_thumbprint()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("tok-EN_1." + Jws.Thumbprint(key), Jws.KeyAuthorization("tok-EN_1", key));
    }

    [Fact]
    public void A_key_on_another_curve_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => Jws.Jwk(key));
    }

    [Fact]
    public void The_csr_names_every_identifier()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequest(
            AcmeClient.CreateCsr(["a.example", "b.example"], key), HashAlgorithmName.SHA256,
            System.Security.Cryptography.X509Certificates.CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var extension = csr.CertificateExtensions.Single(e => e.Oid?.Value == "2.5.29.17");
        var san = new System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension(extension.RawData);
        Assert.Equal(["a.example", "b.example"], san.EnumerateDnsNames());
    }
}
