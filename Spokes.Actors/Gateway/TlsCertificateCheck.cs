namespace Spokes.Actors.Gateway;

/// <summary>Checks an uploaded certificate chain and key against the server's domain before it is stored. The
/// implementation lives with the certificates in Spokes.Edge.</summary>
public interface ITlsCertificateCheck
{
    /// <summary>Null when the pair loads, has a private key, is valid now and covers the domain; else one line why not.</summary>
    string? Problem(string certificatePem, string privateKeyPem);

    /// <summary>Why the certificate in force cannot serve <paramref name="domain"/> — a fixed certificate (uploaded, or
    /// config.json's) that does not cover it — or null (it covers it, or the TLS mode makes one: self-signed, ACME).</summary>
    string? ServesOnly(string domain);
}

/// <summary>For hosts without the edge (console tests): custom certificates cannot be checked, so they are refused.</summary>
internal sealed class NoTlsCertificateCheck : ITlsCertificateCheck
{
    public string? Problem(string certificatePem, string privateKeyPem) => "this host cannot check certificates";

    public string? ServesOnly(string domain) => null;
}
