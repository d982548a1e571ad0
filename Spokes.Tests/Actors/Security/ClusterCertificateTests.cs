using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Actors.Security;
using Spokes.Tests.Support;

namespace Spokes.Tests.Actors.Security;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterCertificateTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void LoadOrCreate_FirstCall_CreatesOwnerOnlyPfxWithRsa2048ForServerAndClient()
    {
        var certificate = ClusterCertificate.LoadOrCreate(_data.Path, null);
        var path = ClusterCertificate.PathFor(_data.Path, null);

        Assert.Equal(_data.Combine("cluster.pfx"), path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("CN=spokes-cluster", certificate.Subject);
        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetRSAPublicKey();
        Assert.Equal(2048, key!.KeySize);
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages);
        using var fromFile = X509CertificateLoader.LoadPkcs12FromFile(path, "");
        Assert.Equal(certificate.Thumbprint, fromFile.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_SecondCall_LoadsSameCertificate()
    {
        var first = ClusterCertificate.LoadOrCreate(_data.Path, null);

        var second = ClusterCertificate.LoadOrCreate(_data.Path, null);

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
    }

    [Fact]
    public void LoadOrCreate_UnreadableFile_ThrowsNamingPathAndKeepsFile()
    {
        var path = _data.Combine("cluster.pfx");
        File.WriteAllText(path, "garbage");

        var error = Assert.Throws<CryptographicException>(() => ClusterCertificate.LoadOrCreate(_data.Path, null));

        Assert.Contains(path, error.Message);
        Assert.Equal("garbage", File.ReadAllText(path));
    }

    [Fact]
    public async Task LoadOrCreate_Certificate_WorksForMutualTlsPinnedOnBothSides()
    {
        var certificate = ClusterCertificate.LoadOrCreate(_data.Path, null);
        var (client, server) = await Loopback.PairAsync();
        using var clientSsl = new SslStream(new System.Net.Sockets.NetworkStream(client, ownsSocket: true));
        using var serverSsl = new SslStream(new System.Net.Sockets.NetworkStream(server, ownsSocket: true));
        bool Pinned(X509Certificate? peer) => peer is not null && peer.GetCertHashString() == certificate.Thumbprint;

        var serverSide = serverSsl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, peer, _, _) => Pinned(peer),
        });
        var clientSide = clientSsl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "spokes-cluster",
            ClientCertificates = [certificate],
            RemoteCertificateValidationCallback = (_, peer, _, _) => Pinned(peer),
        });
        await Task.WhenAll(serverSide, clientSide).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(serverSsl.IsMutuallyAuthenticated);
        Assert.Equal(certificate.Thumbprint, serverSsl.RemoteCertificate!.GetCertHashString());
    }
}
