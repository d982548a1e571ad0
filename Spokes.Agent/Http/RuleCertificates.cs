using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Http;

/// <summary>
/// The certificates of rules with <c>--cert/--key</c> (or <c>--letsencrypt</c>: the files <see cref="LetsEncrypt"/> keeps), loaded from their PEM files and reloaded when a file changes
/// (a renewed certificate is used by new connections at once; open ones keep theirs).
/// </summary>
internal sealed class RuleCertificates(Func<string, (string Certificate, string Key)> letsEncryptFiles)
{
    private readonly ConcurrentDictionary<string, (DateTime Cert, DateTime Key, X509Certificate2 Certificate)> _loaded = new(StringComparer.Ordinal);

    /// <summary>How <see cref="Check"/> names the files: the CLI's flags, or a certificate uploaded from the console.</summary>
    public sealed record Labels(string Pair, string Certificate, string Key)
    {
        public static readonly Labels Flags = new("--cert/--key", "--cert", "--key");
        public static readonly Labels Uploaded = new("the uploaded certificate", "the uploaded certificate", "the uploaded key");
    }

    /// <summary>One line saying why the files cannot serve <paramref name="domain"/>, or null when they can.</summary>
    public static string? Check(string certFile, string keyFile, string domain, DateTimeOffset now, Labels? labels = null)
    {
        labels ??= Labels.Flags;
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return $"{labels.Pair} cannot be loaded: {ex.Message.TrimEnd('.')}";
        }

        using (certificate)
        {
            if (!certificate.HasPrivateKey)
            {
                return $"{labels.Key} holds no private key of {labels.Certificate}";
            }

            if (now < certificate.NotBefore || now > certificate.NotAfter)
            {
                return $"{labels.Certificate} is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u})";
            }

            return certificate.MatchesHostname(domain.StartsWith("*.", StringComparison.Ordinal) ? "x" + domain[1..] : domain)
                ? null
                : $"{labels.Certificate} does not cover {domain}";
        }
    }

    /// <summary>The certificate of the rule, or null when its files cannot be loaded.</summary>
    public X509Certificate2? For(HttpRule rule)
    {
        var (certFile, keyFile) = rule switch
        {
            { CertFile: { } ownCert, KeyFile: { } ownKey } => (ownCert, ownKey),
            { LetsEncrypt: true } => letsEncryptFiles(rule.Domain),
            _ => (null, null),
        };
        if (certFile is null || keyFile is null || !File.Exists(certFile))
        {
            return null;
        }

        string key = certFile + "\n" + keyFile;
        try
        {
            var stamps = (File.GetLastWriteTimeUtc(certFile), File.GetLastWriteTimeUtc(keyFile));
            if (_loaded.TryGetValue(key, out var loaded) && (loaded.Cert, loaded.Key) == stamps)
            {
                return loaded.Certificate;
            }

            // Ephemeral keys cannot be used by SslStream on every platform: export through PKCS#12 once.
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            _loaded[key] = (stamps.Item1, stamps.Item2, certificate);
            return certificate;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            // Half-replaced files (a renewal writing them): the one loaded before serves until both are new.
            return _loaded.TryGetValue(key, out var previous) ? previous.Certificate : null;
        }
    }
}
