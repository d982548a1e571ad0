using Spokes.Actors.Configuration;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Certificates;

namespace Spokes.Edge.Tls;

/// <summary>
/// Puts the cluster's TLS choice in service on this node, without a restart: swaps <see cref="ServerCertificate"/>
/// and turns the ACME renewer on or off (<see cref="AcmeSwitch"/>). Fed by <see cref="TlsWatcher"/>; the node
/// starts with <see cref="TlsChoice.Configured"/> in force (config.json), so only a different choice does anything.
/// </summary>
public sealed class TlsApplier(SpokesConfig config, ServerCertificate server, AcmeSwitch acme, SecretBox secrets, TimeProvider time)
{
    private TlsChoice _applied = TlsChoice.Configured;

    /// <summary>Null when <paramref name="choice"/> is already in force; else the one line to log, and whether it worked.
    /// A choice that cannot be applied (a custom certificate that expired since) leaves the current certificate.</summary>
    public (bool Ok, string Line)? Apply(TlsChoice choice)
    {
        if (choice == _applied) return null;
        _applied = choice;
        try
        {
            return (true, Switch(choice));
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException)
        {
            return (false, $"tls: {choice.Mode} not applied, the current certificate stays: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private string Switch(TlsChoice choice)
    {
        switch (choice.Mode)
        {
            case TlsMode.SelfSigned:
                var selfSigned = ServerCertificate.Usable(SelfSignedCertificate.EnsureSelfSigned(config.DataPath, config.Domain, time));
                acme.Set(false, "", () => server.Replace(selfSigned));
                return $"tls: serving the self-signed certificate for {config.Domain} ({selfSigned.Thumbprint})";
            case TlsMode.Custom:
                if (!CertificateLoader.TryLoadPemText(choice.CertificatePem, secrets.Open(choice.SealedPrivateKey), out var custom,
                        out var intermediates, out var error))
                    throw new InvalidOperationException(error);
                if (CertificateMatcher.ValidateForDomain(custom!, config.Domain, time) is { } problem) throw new InvalidOperationException(problem);
                var usable = ServerCertificate.Usable(custom!);
                acme.Set(false, "", () => server.Replace(usable, intermediates));
                return $"tls: serving the uploaded certificate {usable.Subject} ({usable.Thumbprint}, until {usable.NotAfter.ToUniversalTime():yyyy-MM-dd})";
            case TlsMode.LetsEncrypt:
                acme.Set(true, choice.AcmeEmail);
                return $"tls: Let's Encrypt on for {config.Domain} (account {choice.AcmeEmail}, {config.Tls.AcmeDirectory}); the current certificate is served until one is obtained";
            default:
                var configured = ServerCertificate.Load(config);
                acme.Set(config.Tls.UseLE, config.Tls.AcmeEmail, () => server.Replace(configured));
                return $"tls: back to config.json ({configured.Subject}, {configured.Thumbprint}{(config.Tls.UseLE ? ", Let's Encrypt on" : "")})";
        }
    }
}
