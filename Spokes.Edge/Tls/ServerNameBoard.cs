using System.Security.Cryptography.X509Certificates;
using Spokes.Actors.Gateway;
using Spokes.Edge.Certificates;
using Spokes.Tunnel.Control;

namespace Spokes.Edge.Tls;

/// <summary>
/// What this node tells agents about itself (<see cref="ServerName"/>): the domain in force, once the certificate it
/// serves covers that domain — right after a change for a self-signed or fixed certificate, after the ACME order for
/// Let's Encrypt — so that an agent never dials a name the node cannot yet prove. Raised again when the certificate
/// changes (an agent that trusts a CA file needs a regenerated self-signed one before its next connection).
/// </summary>
public sealed class ServerNameBoard
{
    private readonly DomainSource _domains;
    private readonly ServerCertificate _server;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (string Domain, string Thumbprint)? _announced;
    private ServerName? _current;

    public ServerNameBoard(DomainSource domains, ServerCertificate server, TimeProvider time)
    {
        (_domains, _server, _time) = (domains, server, time);
        domains.Changed += _ => Recheck();
        server.Replaced += Recheck;
        Recheck();
    }

    /// <summary>The name to tell a newly connected agent, or null while the served certificate does not cover the domain.</summary>
    public ServerName? Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    /// <summary>Raised (outside any lock) when <see cref="Current"/> changed to a new name or certificate.</summary>
    public event Action<ServerName>? Changed;

    private void Recheck()
    {
        ServerName? next;
        lock (_gate)
        {
            var domain = _domains.Current;
            var certificate = _server.Current;
            if (CertificateMatcher.ValidateForDomain(certificate, domain, _time) is not null) return;
            if (_announced == (domain, certificate.Thumbprint)) return;
            _announced = (domain, certificate.Thumbprint);
            _current = next = new ServerName { Hostname = domain, CertificatePem = IsSelfSigned(certificate) ? certificate.ExportCertificatePem() : null };
        }
        Changed?.Invoke(next);
    }

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
