using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Spokes.Actors.Gateway;
using Spokes.Actors.Settings;

namespace Spokes.Admin.Services;

/// <summary>The TLS mode in force; <see cref="Certificate"/> names the uploaded certificate (never its key).</summary>
public sealed record TlsChoiceDto(TlsMode Mode, string AcmeEmail, string Certificate);

/// <summary>What the operator asks for. The key is plain here only: it is sealed before it leaves the service.</summary>
public sealed record TlsRequest(TlsMode Mode, string CertificatePem = "", string PrivateKeyPem = "", string AcmeEmail = "");

public sealed partial class ServerSettings
{
    public async Task<Outcome<TlsChoiceDto>> CurrentTlsAsync()
    {
        try
        {
            return (await operations.GetSettingsAsync()).ToOutcome(r => r is SettingsReply s ? ToDto(s.Settings.Tls) : null);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return Outcome<TlsChoiceDto>.Failure("the cluster did not answer in time");
        }
    }

    public async Task<Outcome<TlsChoiceDto>> ApplyTlsAsync(TlsRequest request, string by)
    {
        if (Validate(request) is { } problem) return Outcome<TlsChoiceDto>.Failure(problem);
        var command = CommandFor(request, by);
        try
        {
            return (await operations.ChooseTlsAsync(command)).ToOutcome(r => r is SettingsReply s ? ToDto(s.Settings.Tls) : null);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return Outcome<TlsChoiceDto>.Failure("the cluster did not answer in time");
        }
    }

    /// <summary>The command for a validated request: only the fields of its mode, the key sealed.</summary>
    internal ChooseTls CommandFor(TlsRequest request, string by) => request.Mode switch
    {
        TlsMode.Custom => new ChooseTls(SettingsIds.Server, TlsMode.Custom, request.CertificatePem.Trim() + "\n",
            secrets.Seal(request.PrivateKeyPem.Trim() + "\n"), "", by),
        TlsMode.LetsEncrypt => new ChooseTls(SettingsIds.Server, TlsMode.LetsEncrypt, "", "", request.AcmeEmail.Trim(), by),
        _ => new ChooseTls(SettingsIds.Server, request.Mode, "", "", "", by),
    };

    /// <summary>Null when <paramref name="request"/> may be stored; else one line for the operator.</summary>
    internal string? Validate(TlsRequest request) => request.Mode switch
    {
        TlsMode.Custom when string.IsNullOrWhiteSpace(request.CertificatePem) => "paste or upload the certificate chain (PEM)",
        TlsMode.Custom when string.IsNullOrWhiteSpace(request.PrivateKeyPem) => "paste or upload the private key (PEM)",
        TlsMode.Custom => certificates.Problem(request.CertificatePem, request.PrivateKeyPem),
        TlsMode.LetsEncrypt when string.IsNullOrWhiteSpace(config.Tls.AcmeDirectory) => "config.json has no tls.acmeDirectory",
        TlsMode.LetsEncrypt when !TlsChoice.LooksLikeEmail(request.AcmeEmail.Trim()) =>
            $"'{request.AcmeEmail.Trim()}' is not an email address (name@example.com)",
        TlsMode.Configured or TlsMode.SelfSigned or TlsMode.LetsEncrypt => null,
        _ => $"unknown TLS mode {(int)request.Mode}",
    };

    private static TlsChoiceDto ToDto(TlsChoice tls) => new(tls.Mode, tls.AcmeEmail, Describe(tls.CertificatePem));

    private static string Describe(string certificatePem)
    {
        if (certificatePem.Length == 0) return "";
        try
        {
            using var leaf = X509Certificate2.CreateFromPem(certificatePem);
            return $"{leaf.Subject}, valid until {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC, SHA-1 {leaf.Thumbprint}";
        }
        catch (CryptographicException)
        {
            return "(unreadable certificate)";
        }
    }
}
