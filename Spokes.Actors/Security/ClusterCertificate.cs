using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Actors.Security;

/// <summary>
/// The cluster's mutual-TLS certificate (<c>cluster.certificate</c>): one PKCS#12 file shared by every
/// node and the CLI, pinned by Akka.Remote and by the node-to-node relay.
/// </summary>
/// <remarks>
/// RSA 2048, which every TLS stack the cluster port and relay links meet accepts; EKU serverAuth and clientAuth, as
/// each node is both; ten years, because it is pinned rather than chained to a CA, and an expiry would
/// split the cluster with no one there to renew it.
/// </remarks>
public static class ClusterCertificate
{
    public const string FileName = "cluster.pfx";
    public const string SubjectName = "CN=spokes-cluster";
    public static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    /// <summary>Loads the configured file, or <c>&lt;dataPath&gt;/cluster.pfx</c>, creating the latter (mode
    /// 0600, empty password) the first time. A file that exists but cannot be read is an error, never
    /// silently replaced: other nodes share it.</summary>
    public static X509Certificate2 LoadOrCreate(string dataPath, string? configuredPath)
    {
        var path = PathFor(dataPath, configuredPath);
        if (File.Exists(path) || !string.IsNullOrEmpty(configuredPath))
            return Load(path);
        Directory.CreateDirectory(dataPath);
        using var created = Create();
        SecretFile.Write(path, created.Export(X509ContentType.Pkcs12), secret: true);
        return Load(path);
    }

    /// <summary>The path a node uses for the certificate, for messages and the CLI.</summary>
    public static string PathFor(string dataPath, string? configuredPath) =>
        Path.GetFullPath(string.IsNullOrEmpty(configuredPath) ? Path.Combine(dataPath, FileName) : configuredPath);

    public static X509Certificate2 Load(string path)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null,
                X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"cluster certificate {path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Key material for <see cref="SecretBox"/>: the private key, never stored elsewhere.</summary>
    public static byte[] KeyMaterial(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("cluster certificate has no RSA private key");
        return rsa.ExportPkcs8PrivateKey();
    }

    /// <summary>A new cluster certificate with its private key.</summary>
    public static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(ClusterCredentials.ServerName);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(-1) + Validity);
    }
}
