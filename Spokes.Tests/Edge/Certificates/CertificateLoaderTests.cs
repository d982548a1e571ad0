using System.Security.Cryptography.X509Certificates;
using Spokes.Edge.Certificates;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Certificates;

public sealed class CertificateLoaderTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void TryLoadPem_MatchingFiles_LoadsCertificateWithKey()
    {
        using var made = SelfSignedCertificate.EnsureSelfSigned(_data.Path, "custom.test");

        Assert.True(CertificateLoader.TryLoadPem(
            _data.Combine("certs", "self-signed.crt"), _data.Combine("certs", "self-signed.key"), out var loaded, out var error));
        Assert.Null(error);
        Assert.Equal(made.Thumbprint, loaded!.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void TryLoadPem_MissingFile_OneLineErrorNamingPath()
    {
        var missing = _data.Combine("nope.crt");

        Assert.False(CertificateLoader.TryLoadPem(missing, _data.Combine("nope.key"), out var loaded, out var error));
        Assert.Null(loaded);
        Assert.Contains(missing, error);
        Assert.DoesNotContain("\n", error!);
    }

    [Fact]
    public void TryLoadPem_KeyOfAnotherCertificate_Fails()
    {
        using var one = SelfSignedCertificate.Create("one.test");
        using var other = SelfSignedCertificate.Create("other.test");
        File.WriteAllText(_data.Combine("one.crt"), one.ExportCertificatePem());
        File.WriteAllText(_data.Combine("other.key"), other.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        Assert.False(CertificateLoader.TryLoadPem(_data.Combine("one.crt"), _data.Combine("other.key"), out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void LoadChain_LeafThenIntermediate_ReturnsCertificatesAfterLeaf()
    {
        using var leaf = SelfSignedCertificate.Create("leaf.test");
        using var intermediate = SelfSignedCertificate.Create("intermediate.test");
        File.WriteAllText(_data.Combine("full.crt"), leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem());

        var chain = CertificateLoader.LoadChain(_data.Combine("full.crt"));

        Assert.Equal(intermediate.Thumbprint, Assert.Single(chain).Thumbprint);
    }
}
