using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Edge.Certificates;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Certificates;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SelfSignedCertificateTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private string CertPath => _data.Combine("certs", SelfSignedCertificate.CertificateFileName);
    private string KeyPath => _data.Combine("certs", SelfSignedCertificate.KeyFileName);

    [Fact]
    public void Create_Domain_EcdsaP256ServerCertificateForDomainAndWildcardValidTwoYears()
    {
        using var certificate = SelfSignedCertificate.Create("Spokes.Example.com");

        Assert.Equal(["spokes.example.com", "*.spokes.example.com"], CertificateMatcher.DnsNames(certificate));
        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.Equal(SelfSignedCertificate.Validity, certificate.NotAfter - certificate.NotBefore);
    }

    [Fact]
    public void Create_TrustedAsCustomRoot_ChainValidatesForSubdomain()
    {
        // What an agent does with --ca self-signed.crt.
        using var certificate = SelfSignedCertificate.Create("example.com");
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(certificate.RawData));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.True(certificate.MatchesHostname("app.example.com"));
    }

    [Fact]
    public void EnsureSelfSigned_NodesSharingTheFolder_AtOnce_EachGetsAWholePair()
    {
        // Two nodes on one data folder move to a new domain at the same moment (the cluster tests' peers do).
        var made = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(_ => SelfSignedCertificate.EnsureSelfSigned(_data.Path, "edge.example.com")).ToList();
        Assert.All(made, c => Assert.True(c.HasPrivateKey));
        using var saved = CertificateLoader.LoadPem(CertPath, KeyPath);
        Assert.All(made, c => Assert.Equal(saved.Thumbprint, c.Thumbprint)); // the first one's, taken by the others
        Assert.Empty(Directory.GetFiles(_data.Combine("certs"), "*.tmp"));
    }

    [Fact]
    public void EnsureSelfSigned_FirstCall_WritesPemCertificateAndOwnerOnlyKey()
    {
        using var certificate = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "example.com");

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(CertPath));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(KeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(_data.Combine("certs")) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead));
        Assert.Empty(Directory.GetFiles(_data.Combine("certs"), "*.tmp"));
        Assert.True(certificate.HasPrivateKey);
        using var reloaded = CertificateLoader.LoadPem(CertPath, KeyPath);
        Assert.Equal(certificate.Thumbprint, reloaded.Thumbprint);
    }

    [Fact]
    public void EnsureSelfSigned_SecondCall_ReloadsSameCertificateWithoutRewriting()
    {
        using var first = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "example.com");
        var written = File.GetLastWriteTimeUtc(KeyPath);

        using var second = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "EXAMPLE.com");

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
        Assert.Equal(written, File.GetLastWriteTimeUtc(KeyPath));
    }

    [Fact]
    public void EnsureSelfSigned_DomainChanged_RegeneratesForNewDomain()
    {
        using var first = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "old.test");

        using var second = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "new.test");

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.Null(CertificateMatcher.ValidateForDomain(second, "new.test"));
        Assert.False(CertificateMatcher.Covers(second, "old.test"));
        using var onDisk = CertificateLoader.LoadPem(CertPath, KeyPath);
        Assert.Equal(second.Thumbprint, onDisk.Thumbprint);
    }

    [Fact]
    public void EnsureSelfSigned_ParentDomainOfOldOne_Regenerates()
    {
        // a.test's certificate names a.test and *.a.test; it does not fit "test" even though names overlap.
        using var first = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "b.a.test");

        using var second = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "a.test");

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public void EnsureSelfSigned_CloseToExpiry_Renews()
    {
        var longAgo = new FixedTime(DateTimeOffset.UtcNow - SelfSignedCertificate.Validity + TimeSpan.FromDays(10));
        using var old = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "example.com", longAgo);

        using var renewed = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "example.com");

        Assert.NotEqual(old.Thumbprint, renewed.Thumbprint);
        Assert.True(renewed.NotAfter > DateTime.Now.AddDays(700));
    }

    [Fact]
    public void EnsureSelfSigned_CorruptFiles_Regenerates()
    {
        Directory.CreateDirectory(_data.Combine("certs"));
        File.WriteAllText(CertPath, "not a certificate");
        File.WriteAllText(KeyPath, "not a key");

        using var certificate = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "example.com");

        Assert.Null(CertificateMatcher.ValidateForDomain(certificate, "example.com"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
    }
}
