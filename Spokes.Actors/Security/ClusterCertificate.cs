using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Actors.Security;

/// <summary>The certificate every node and the CLI present on the cluster port (mutual TLS).</summary>
public static class ClusterCertificate
{
    public const string FileName = "cluster.pfx";

    /// <summary>Loads the configured PKCS#12 file, or creates one under <paramref name="dataPath"/>
    /// (owner read/write only) on first start.</summary>
    public static X509Certificate2 LoadOrCreate(string dataPath, string? configuredPath)
    {
        if (!string.IsNullOrEmpty(configuredPath))
            return Load(configuredPath);
        var path = Path.Combine(dataPath, FileName);
        if (File.Exists(path))
            return Load(path);
        Directory.CreateDirectory(dataPath);
        SecureFile.WriteOwnerOnly(path, Create().Export(X509ContentType.Pkcs12));
        return Load(path);
    }

    /// <summary>The path a node uses for the certificate, for messages and the CLI.</summary>
    public static string PathFor(string dataPath, string? configuredPath) =>
        string.IsNullOrEmpty(configuredPath) ? Path.Combine(dataPath, FileName) : configuredPath;

    public static X509Certificate2 Load(string path) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, password: null,
            X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);

    /// <summary>Key material for <see cref="SecretBox"/>: the private key, never stored elsewhere.</summary>
    public static byte[] KeyMaterial(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("cluster certificate has no RSA private key");
        return rsa.ExportPkcs8PrivateKey();
    }

    private static X509Certificate2 Create()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=spokes-cluster", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("spokes-cluster");
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
    }
}
