using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Actors.Configuration;
using Spokes.Actors.Security;

namespace Spokes.Edge.Tls;

/// <summary>
/// The certificate the node presents for its own domain: the configured one (checked against the domain),
/// else the self-signed one kept as <c>&lt;dataPath&gt;/certs/self-signed.crt</c> (+ .key) so agents can be
/// given it with <c>--ca</c>. Swappable at run time (renewal, console upload).
/// </summary>
public sealed class ServerCertificate
{
    private X509Certificate2 _current;

    public ServerCertificate(X509Certificate2 initial) => _current = initial;

    public X509Certificate2 Current => Volatile.Read(ref _current);

    public void Replace(X509Certificate2 certificate) => Interlocked.Exchange(ref _current, certificate);

    public static X509Certificate2 Load(SpokesConfig config)
    {
        if (!string.IsNullOrEmpty(config.Tls.Certificate))
        {
            X509Certificate2 custom;
            try
            {
                custom = X509Certificate2.CreateFromPemFile(config.Tls.Certificate, config.Tls.PrivateKey);
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new ConfigException($"config: 'tls.certificate' cannot be loaded: {ex.Message}");
            }
            if (!custom.MatchesHostname(config.Domain))
                throw new ConfigException($"config: 'tls.certificate' does not cover the domain {config.Domain}");
            return Reload(custom);
        }
        var folder = Path.Combine(config.DataPath, "certs");
        var certPath = Path.Combine(folder, "self-signed.crt");
        var keyPath = Path.Combine(folder, "self-signed.key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.MatchesHostname(config.Domain) && existing.NotAfter > DateTime.UtcNow.AddDays(30))
                return Reload(existing);
        }
        var created = CreateSelfSigned(config.Domain);
        Directory.CreateDirectory(folder);
        File.WriteAllText(certPath, created.ExportCertificatePem());
        using var key = created.GetECDsaPrivateKey()!;
        SecureFile.WriteOwnerOnly(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        return Reload(created);
    }

    /// <summary>A self-signed certificate for the domain and its subdomains (ECDSA P-256, two years:
    /// renewed on start when fewer than 30 days remain).</summary>
    public static X509Certificate2 CreateSelfSigned(string domain)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={domain}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(domain);
        san.AddDnsName("*." + domain);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }

    // Kestrel on Linux wants a certificate whose key it can use directly; a PKCS#12 round trip gives it one.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
