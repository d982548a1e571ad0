using Spokes.Actors.Gateway;
using Spokes.Edge.Certificates;

namespace Spokes.Edge.Tls;

/// <summary>The console's check of an uploaded certificate (it loads with its key, is valid now and covers the domain),
/// and the domain change's check of a fixed certificate in force.</summary>
internal sealed class PemCertificateCheck(DomainSource domains, TlsApplier applier, ServerCertificate server, TimeProvider time)
    : ITlsCertificateCheck
{
    public string? Problem(string certificatePem, string privateKeyPem)
    {
        if (!CertificateLoader.TryLoadPemText(certificatePem, privateKeyPem, out var certificate, out _, out var error)) return error;
        using (certificate) return CertificateMatcher.ValidateForDomain(certificate!, domains.Current, time);
    }

    public string? ServesOnly(string domain) =>
        applier.ServesFixedCertificate && CertificateMatcher.ValidateForDomain(server.Current, domain, time) is { } problem
            ? $"the certificate in force is a fixed one and {problem}: upload one that covers {domain}, or choose self-signed " +
              "or Let's Encrypt first"
            : null;
}
