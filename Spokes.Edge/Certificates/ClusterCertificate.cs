using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Edge.Certificates;

/// <summary>
/// The cluster's mutual-TLS certificate (<c>cluster.certificate</c>, SPEC §3): one PKCS#12 file shared by
/// every node and the CLI, pinned by Akka.Remote. Self-contained on purpose (base library only, no other
/// Spokes type) so it can move to Spokes.Actors.
/// </summary>
/// <remarks>
/// RSA 2048, because DotNetty-based Akka.Remote TLS is safest with RSA; EKU serverAuth and clientAuth,
/// as each node is both; ten years, because it is pinned rather than chained to a CA, and an expiry
/// would split the cluster with no one there to renew it.
/// </remarks>
internal static class ClusterCertificate
{
    public const string FileName = "cluster.pfx";
    public const string SubjectName = "CN=spokes-cluster";
    public const string Password = "";
    public static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    /// <summary>Loads <c>&lt;dataPath&gt;/cluster.pfx</c>, creating it (mode 0600, empty password) the first time.
    /// A file that exists but cannot be read is an error, never silently replaced: other nodes share it.</summary>
    public static (string Path, X509Certificate2 Certificate) EnsurePkcs12(string dataPath)
    {
        var path = Path.GetFullPath(Path.Combine(dataPath, FileName));
        if (File.Exists(path))
        {
            try
            {
                return (path, X509CertificateLoader.LoadPkcs12FromFile(path, Password, X509KeyStorageFlags.Exportable));
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"cluster certificate {path} cannot be read: {e.Message}", e);
            }
        }

        Directory.CreateDirectory(dataPath);
        using var created = Create();
        var pfx = created.Export(X509ContentType.Pkcs12, Password);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(pfx);
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: false);
        return (path, X509CertificateLoader.LoadPkcs12(pfx, Password, X509KeyStorageFlags.Exportable));
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
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(-1) + Validity);
    }
}
