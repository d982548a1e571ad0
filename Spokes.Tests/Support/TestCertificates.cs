using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Tests.Support;

/// <summary>Certificates made in tests, as the PEM text an operator would upload.</summary>
internal static class TestCertificates
{
    public sealed record Pem(string Certificate, string Key, string Thumbprint);

    /// <summary>A self-signed ECDSA leaf for <paramref name="name"/>, valid from a day ago for <paramref name="left"/> (negative: expired).</summary>
    public static Pem Issue(string name, TimeSpan? left = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + (left ?? TimeSpan.FromDays(90));
        using var certificate = request.CreateSelfSigned(notAfter < now ? notAfter.AddDays(-30) : now.AddDays(-1), notAfter);
        return new Pem(certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n", certificate.Thumbprint);
    }
}
