using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Edge.Certificates;

namespace Spokes.Edge.Tls;

/// <summary>The console's check of an uploaded certificate: it loads with its key, is valid now and covers the domain.</summary>
internal sealed class PemCertificateCheck(SpokesConfig config, TimeProvider time) : ITlsCertificateCheck
{
    public string? Problem(string certificatePem, string privateKeyPem)
    {
        if (!CertificateLoader.TryLoadPemText(certificatePem, privateKeyPem, out var certificate, out _, out var error)) return error;
        using (certificate) return CertificateMatcher.ValidateForDomain(certificate!, config.Domain, time);
    }
}
