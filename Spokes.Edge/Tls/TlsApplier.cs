using Spokes.Actors.Configuration;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Certificates;

namespace Spokes.Edge.Tls;

/// <summary>
/// Puts the cluster's TLS choice and domain in service on this node, without a restart: swaps
/// <see cref="ServerCertificate"/> and turns the ACME renewer on or off (<see cref="AcmeSwitch"/>). Fed by
/// <see cref="TlsWatcher"/>; the node starts with <see cref="TlsChoice.Configured"/> for config.json's domain in force,
/// so only a different choice or domain does anything. A new domain gets the certificate its mode makes: a new
/// self-signed one, or an ACME order (the renewer sees the domain change); a fixed certificate stays (it was checked to
/// cover the domain before the change).
/// </summary>
public sealed class TlsApplier(SpokesConfig config, ServerCertificate server, AcmeSwitch acme, SecretBox secrets, TimeProvider time)
{
    private readonly Lock _gate = new();
    private (TlsChoice Choice, string Domain) _applied = (TlsChoice.Configured, config.Domain);

    /// <summary>True while the certificate in force is a fixed one: uploaded, or config.json's own.</summary>
    public bool ServesFixedCertificate
    {
        get
        {
            lock (_gate) return ServesFixedCertificateLocked();
        }
    }

    /// <summary>Null when <paramref name="choice"/> for <paramref name="domain"/> is already in force; else the one line to
    /// log, and whether it worked. A choice that cannot be applied (a custom certificate that expired since) leaves the
    /// current certificate.</summary>
    public (bool Ok, string Line)? Apply(TlsChoice choice, string domain)
    {
        lock (_gate)
        {
            if (_applied == (choice, domain)) return null;
            var before = _applied;
            _applied = (choice, domain);
            try
            {
                return (true, Switch(choice, domain));
            }
            catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException
                or System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException)
            {
                // Not in force: the next settings read (or change) tries again.
                _applied = before;
                return (false, $"tls: {choice.Mode} not applied, the current certificate stays: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    private bool ServesFixedCertificateLocked() =>
        _applied.Choice.Mode == TlsMode.Custom
        || _applied.Choice.Mode == TlsMode.Configured && !config.Tls.UseLE && !string.IsNullOrEmpty(config.Tls.Certificate);

    private string Switch(TlsChoice choice, string domain)
    {
        switch (choice.Mode)
        {
            case TlsMode.SelfSigned:
                var selfSigned = ServerCertificate.Usable(SelfSignedCertificate.EnsureSelfSigned(config.DataPath, domain, time));
                acme.Set(false, "", () => server.Replace(selfSigned));
                return $"tls: serving the self-signed certificate for {domain} ({selfSigned.Thumbprint})";
            case TlsMode.Custom:
                if (!CertificateLoader.TryLoadPemText(choice.CertificatePem, secrets.Open(choice.SealedPrivateKey), out var custom,
                        out var intermediates, out var error))
                    throw new InvalidOperationException(error);
                if (CertificateMatcher.ValidateForDomain(custom!, domain, time) is { } problem) throw new InvalidOperationException(problem);
                var usable = ServerCertificate.Usable(custom!);
                acme.Set(false, "", () => server.Replace(usable, intermediates));
                return $"tls: serving the uploaded certificate {usable.Subject} ({usable.Thumbprint}, until {usable.NotAfter.ToUniversalTime():yyyy-MM-dd})";
            case TlsMode.LetsEncrypt:
                acme.Set(true, choice.AcmeEmail);
                return $"tls: Let's Encrypt on for {domain} (account {choice.AcmeEmail}, {config.Tls.AcmeDirectory}); the current certificate is served until one is obtained";
            default:
                var configured = ServerCertificate.Load(config, domain);
                acme.Set(config.Tls.UseLE, config.Tls.AcmeEmail, () => server.Replace(configured));
                return $"tls: as config.json says, for {domain} ({configured.Subject}, {configured.Thumbprint}{(config.Tls.UseLE ? ", Let's Encrypt on" : "")})";
        }
    }
}
