using System.Net;
using Spokes.Actors.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Edge.Certificates;

/// <summary>
/// The certificate the edge serves when no other is configured (SPEC §8): ECDSA P-256, SANs
/// <c>domain</c> and <c>*.domain</c>, kept as PEM under <c>&lt;dataPath&gt;/certs/</c> so agents can be
/// given the .crt with <c>--ca</c>.
/// </summary>
/// <remarks>
/// Valid for two years (730 days): under the 825-day ceiling Apple platforms enforce on TLS server
/// certificates even when the user trusts them by hand, long enough that a laptop setup does not
/// notice, and <see cref="EnsureSelfSigned"/> renews it 30 days before expiry anyway.
/// ECDSA P-256 because every TLS client speaks it and handshakes are cheaper than with RSA.
/// </remarks>
internal static class SelfSignedCertificate
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(730);
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);
    public const string CertificateFileName = "self-signed.crt";
    public const string KeyFileName = "self-signed.key";

    /// <summary>A new self-signed certificate with its private key, for <paramref name="domain"/> and <c>*.domain</c>
    /// (an IP address gets an IP SAN and no wildcard).</summary>
    public static X509Certificate2 Create(string domain, TimeProvider? time = null)
    {
        var name = CertificateMatcher.Normalize(domain);
        if (name.Length == 0) throw new ArgumentException("domain is empty", nameof(domain));
        var now = (time ?? TimeProvider.System).GetUtcNow();

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);

        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out var address))
        {
            san.AddIpAddress(address);
        }
        else
        {
            san.AddDnsName(name);
            san.AddDnsName("*." + name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        // A day of slack for clients whose clock runs behind.
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(-1) + Validity);
    }

    /// <summary>
    /// Loads <c>&lt;dataPath&gt;/certs/self-signed.{crt,key}</c>, or (re)creates them when missing, unreadable,
    /// made for another domain or within <see cref="RenewBefore"/> of expiry. The key file is mode 0600. Nodes sharing
    /// the data folder (re)create the pair one at a time under <c>certs/.lock</c>, so the pair on disk is always one
    /// certificate with its own key, and a node that comes second takes the first one's.
    /// </summary>
    public static X509Certificate2 EnsureSelfSigned(string dataPath, string domain, TimeProvider? time = null)
    {
        var directory = Path.Combine(dataPath, "certs");
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);

        if (Current(certPath, keyPath, domain, time) is { } existing) return existing;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var held = Lock(Path.Combine(directory, ".lock"));
        return Current(certPath, keyPath, domain, time) ?? Write(certPath, keyPath, domain, time);
    }

    private static X509Certificate2? Current(string certPath, string keyPath, string domain, TimeProvider? time)
    {
        if (!File.Exists(certPath) || !File.Exists(keyPath) || !CertificateLoader.TryLoadPem(certPath, keyPath, out var existing, out _))
            return null;
        if (IsCurrent(existing!, domain, time)) return existing;
        existing!.Dispose();
        return null;
    }

    /// <summary>An exclusive lock on <paramref name="path"/> shared by every process on this folder (10 s at most).</summary>
    private static FileStream Lock(string path)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static X509Certificate2 Write(string certPath, string keyPath, string domain, TimeProvider? time)
    {
        var created = Create(domain, time);
        using (var key = created.GetECDsaPrivateKey()!)
        {
            SecretFile.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        }
        SecretFile.Write(certPath, created.ExportCertificatePem() + "\n", secret: false);
        return created;
    }

    private static bool IsCurrent(X509Certificate2 certificate, string domain, TimeProvider? time)
    {
        var name = CertificateMatcher.Normalize(domain);
        var expected = IPAddress.TryParse(name, out _) ? [] : new[] { name, "*." + name };
        var names = CertificateMatcher.DnsNames(certificate).Select(CertificateMatcher.Normalize).Order().ToArray();
        var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        return CertificateMatcher.Covers(certificate, name)
            && names.SequenceEqual(expected.Order())
            && certificate.NotAfter.ToUniversalTime() - now > RenewBefore;
    }
}
