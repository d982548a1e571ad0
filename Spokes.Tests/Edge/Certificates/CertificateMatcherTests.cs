using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Edge.Certificates;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Certificates;

public class CertificateMatcherTests
{
    private static readonly X509Certificate2 Wildcard = SelfSignedCertificate.Create("example.com");

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("EXAMPLE.com.", true)]
    [InlineData("a.example.com", true)]
    [InlineData("A.Example.Com", true)]
    [InlineData("a.b.example.com", false)]
    [InlineData("example.org", false)]
    [InlineData("badexample.com", false)]
    [InlineData("", false)]
    public void Covers_SelfSignedForExampleCom_HonoursSanAndSingleLabelWildcard(string host, bool expected)
    {
        Assert.Equal(expected, CertificateMatcher.Covers(Wildcard, host));
    }

    [Theory]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", ".example.com", false)]
    [InlineData("a*.example.com", "ab.example.com", false)]
    [InlineData("*.*.example.com", "a.b.example.com", false)]
    [InlineData("*", "localhost", false)]
    [InlineData("*.localhost", "app.localhost", true)]
    [InlineData("www.example.com", "www.example.com", true)]
    public void Matches_Pattern_FollowsRfc6125(string pattern, string host, bool expected)
    {
        Assert.Equal(expected, CertificateMatcher.Matches(pattern, host));
    }

    [Fact]
    public void Covers_NoSanExtension_FallsBackToCommonName()
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=legacy.example.com", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        Assert.True(CertificateMatcher.Covers(certificate, "legacy.example.com"));
        Assert.False(CertificateMatcher.Covers(certificate, "other.example.com"));
    }

    [Fact]
    public void Covers_SanPresent_IgnoresCommonName()
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=cn.example.com", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("san.example.com");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        Assert.True(CertificateMatcher.Covers(certificate, "san.example.com"));
        Assert.False(CertificateMatcher.Covers(certificate, "cn.example.com"));
    }

    [Fact]
    public void Covers_IpAddressCertificate_MatchesIpSanOnly()
    {
        using var certificate = SelfSignedCertificate.Create("127.0.0.1");

        Assert.True(CertificateMatcher.Covers(certificate, "127.0.0.1"));
        Assert.False(CertificateMatcher.Covers(certificate, "127.0.0.2"));
        Assert.False(CertificateMatcher.Covers(certificate, "localhost"));
    }

    [Fact]
    public void ValidateForDomain_CoveringCertificateWithKey_Null()
    {
        Assert.Null(CertificateMatcher.ValidateForDomain(Wildcard, "example.com"));
    }

    [Fact]
    public void ValidateForDomain_OtherDomain_SaysWhichNamesItHas()
    {
        var error = CertificateMatcher.ValidateForDomain(Wildcard, "Spokes.Test");

        Assert.Equal("certificate does not cover spokes.test (it names example.com, *.example.com)", error);
    }

    [Fact]
    public void ValidateForDomain_NoPrivateKey_SaysKeyMissing()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(Wildcard.RawData);

        Assert.Equal("certificate has no private key", CertificateMatcher.ValidateForDomain(publicOnly, "example.com"));
    }

    [Fact]
    public void ValidateForDomain_Expired_SaysExpiredOnDate()
    {
        var later = new FixedTime(Wildcard.NotAfter.ToUniversalTime().AddDays(1));

        var error = CertificateMatcher.ValidateForDomain(Wildcard, "example.com", later);

        Assert.StartsWith("certificate expired on ", error);
        Assert.DoesNotContain("\n", error!);
    }

    [Fact]
    public void ValidateForDomain_NotYetValid_SaysNotValidBefore()
    {
        var earlier = new FixedTime(Wildcard.NotBefore.ToUniversalTime().AddDays(-1));

        Assert.StartsWith("certificate is not valid before ", CertificateMatcher.ValidateForDomain(Wildcard, "example.com", earlier));
    }
}
