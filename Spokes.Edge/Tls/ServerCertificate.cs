using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Spokes.Actors.Configuration;
using Spokes.Edge.Certificates;

namespace Spokes.Edge.Tls;

/// <summary>
/// The certificate the node presents for its own domain: the configured one (checked against the domain
/// before use), else the self-signed one kept under <c>&lt;dataPath&gt;/certs/</c>. Swappable at run time
/// (renewal, console upload) without touching the listeners.
/// </summary>
public sealed class ServerCertificate(X509Certificate2 initial)
{
    private sealed record Served(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    private Served _current = new(initial, SslStreamCertificateContext.Create(initial, null, offline: true));

    public X509Certificate2 Current => Volatile.Read(ref _current).Certificate;

    /// <summary>The certificate with the intermediates sent along with it (an ACME chain), for the TLS handshake.</summary>
    public SslStreamCertificateContext Context => Volatile.Read(ref _current).Context;

    public void Replace(X509Certificate2 certificate) => Replace(certificate, null);

    /// <summary>Swaps the served certificate; <paramref name="intermediates"/> go out with it in every handshake.</summary>
    public void Replace(X509Certificate2 certificate, X509Certificate2Collection? intermediates)
    {
        Interlocked.Exchange(ref _current, new Served(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true)));
        Replaced?.Invoke();
    }

    /// <summary>Raised after every <see cref="Replace(X509Certificate2, X509Certificate2Collection?)"/>.</summary>
    public event Action? Replaced;

    /// <summary>Loads the certificate config.json names, or the self-signed one; a custom certificate that
    /// cannot be loaded or does not cover the domain is a configuration error naming the key.</summary>
    public static X509Certificate2 Load(SpokesConfig config) => Load(config, config.Domain);

    /// <summary>As <see cref="Load(SpokesConfig)"/>, for the domain in force (set at run time).</summary>
    public static X509Certificate2 Load(SpokesConfig config, string domain)
    {
        if (string.IsNullOrEmpty(config.Tls.Certificate))
            return Usable(SelfSignedCertificate.EnsureSelfSigned(config.DataPath, domain));
        if (!CertificateLoader.TryLoadPem(config.Tls.Certificate, config.Tls.PrivateKey, out var custom, out var error))
            throw new ConfigException($"config: 'tls.certificate' cannot be loaded: {error}");
        if (CertificateMatcher.ValidateForDomain(custom!, domain) is { } problem)
            throw new ConfigException($"config: 'tls.certificate' {problem}");
        return Usable(custom!);
    }

    // Kestrel on Linux wants a key it can use directly; a PKCS#12 round trip gives a PEM-loaded one that.
    internal static X509Certificate2 Usable(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
