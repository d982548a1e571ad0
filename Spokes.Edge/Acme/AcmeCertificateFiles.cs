using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Actors.Security;

using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>
/// What the renewer keeps under <c>&lt;dataPath&gt;/certs/acme/</c>: the account key (<c>account.key</c>, ECDSA P-256 PEM,
/// 0600), the issued chain (<c>certificate.crt</c>, PEM, leaf first) and its key (<c>certificate.key</c>, 0600).
/// </summary>
public sealed class AcmeCertificateFiles(string dataPath)
{
    public string Directory { get; } = Path.Combine(dataPath, "certs", "acme");

    public string AccountKeyPath => Path.Combine(Directory, "account.key");

    public string CertificatePath => Path.Combine(Directory, "certificate.crt");

    public string KeyPath => Path.Combine(Directory, "certificate.key");

    /// <summary>The account key, created (and saved 0600) on first use.</summary>
    public ECDsa LoadOrCreateAccountKey()
    {
        EnsureDirectory();
        var key = ECDsa.Create();
        if (File.Exists(AccountKeyPath))
        {
            key.ImportFromPem(File.ReadAllText(AccountKeyPath));
            return key;
        }
        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        SecretFile.Write(AccountKeyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        return key;
    }

    public void Save(AcmeCertificateResult result)
    {
        EnsureDirectory();
        // Key first: a crash in between leaves a key that matches no certificate, which Load rejects.
        SecretFile.Write(KeyPath, result.PrivateKeyPem, secret: true);
        SecretFile.Write(CertificatePath, result.ChainPem, secret: false);
    }

    /// <summary>The saved certificate (with its key, usable by Kestrel) and its intermediates, or null when absent/unreadable.</summary>
    public (X509Certificate2 Certificate, X509Certificate2Collection Intermediates)? TryLoad(out string? error)
    {
        error = null;
        if (!File.Exists(CertificatePath) || !File.Exists(KeyPath)) return null;
        try
        {
            return FromPem(File.ReadAllText(CertificatePath), File.ReadAllText(KeyPath));
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            error = e.Message.ReplaceLineEndings(" ");
            return null;
        }
    }

    public static (X509Certificate2 Certificate, X509Certificate2Collection Intermediates) FromPem(string chainPem, string keyPem)
    {
        using var leaf = X509Certificate2.CreateFromPem(chainPem, keyPem);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(chainPem);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) intermediates.Add(all[i]);
        return (Tls.ServerCertificate.Usable(leaf), intermediates);
    }

    private void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(Directory);
        else System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
