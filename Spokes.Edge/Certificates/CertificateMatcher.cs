using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Edge.Certificates;

/// <summary>Host name coverage the way TLS clients check it (RFC 6125 §6.4): SAN names, one wildcard label.</summary>
internal static class CertificateMatcher
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>
    /// True when a SAN DNS name equals <paramref name="host"/> or is a wildcard whose <c>*</c> stands for exactly
    /// its first label (<c>*.example.com</c> covers <c>a.example.com</c>, not <c>example.com</c> nor <c>a.b.example.com</c>).
    /// IP addresses are matched against SAN IP entries. The subject CN counts only when there is no SAN at all.
    /// </summary>
    public static bool Covers(X509Certificate2 certificate, string host)
    {
        var name = Normalize(host);
        if (name.Length == 0) return false;
        if (IPAddress.TryParse(name.Trim('[', ']'), out var address))
        {
            return SubjectAltName(certificate)?.EnumerateIPAddresses().Any(a => a.Equals(address)) ?? false;
        }
        return DnsNames(certificate).Any(pattern => Matches(Normalize(pattern), name));
    }

    /// <summary>Null when the certificate can serve <paramref name="domain"/> now; otherwise one line saying why not.</summary>
    public static string? ValidateForDomain(X509Certificate2 certificate, string domain, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        if (!certificate.HasPrivateKey) return "certificate has no private key";
        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return $"certificate expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC";
        }
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return $"certificate is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC";
        }
        if (!Covers(certificate, domain))
        {
            var names = DnsNames(certificate).ToList();
            var named = names.Count == 0 ? "no DNS names" : string.Join(", ", names);
            return $"certificate does not cover {Normalize(domain)} (it names {named})";
        }
        return null;
    }

    /// <summary>SAN DNS names, or the subject CN when the certificate has no SAN extension.</summary>
    public static IEnumerable<string> DnsNames(X509Certificate2 certificate)
    {
        var san = SubjectAltName(certificate);
        if (san is not null) return san.EnumerateDnsNames().ToList();
        var commonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(commonName) ? [] : [commonName];
    }

    internal static bool Matches(string pattern, string host)
    {
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = pattern[1..];
            if (suffix.Contains('*') || suffix.Length < 2 || !host.EndsWith(suffix, StringComparison.Ordinal)) return false;
            var label = host[..^suffix.Length];
            return label.Length > 0 && !label.Contains('.');
        }
        return !pattern.Contains('*') && pattern == host;
    }

    internal static string Normalize(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    private static X509SubjectAlternativeNameExtension? SubjectAltName(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid) continue;
            return extension as X509SubjectAlternativeNameExtension
                ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
        }
        return null;
    }
}
