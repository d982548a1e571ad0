namespace Spokes.Actors.Settings;

/// <summary>Where every node's HTTPS certificate for the server's domain comes from. Stored as numbers: never
/// renumber.</summary>
public enum TlsMode
{
    /// <summary>Whatever config.json says (<c>tls.certificate</c>, <c>tls.useLE</c>, else self-signed).</summary>
    Configured = 0,
    SelfSigned = 1,
    /// <summary>An uploaded certificate chain with its key (sealed).</summary>
    Custom = 2,
    /// <summary>ACME against <c>tls.acmeDirectory</c> with the chosen contact email.</summary>
    LetsEncrypt = 3,
}

/// <summary>The TLS mode in force cluster-wide. For <see cref="TlsMode.Custom"/> the chain PEM (leaf first) and the
/// private key PEM sealed with <c>SecretBox</c>; for <see cref="TlsMode.LetsEncrypt"/> the account email.</summary>
public sealed record TlsChoice(TlsMode Mode, string CertificatePem, string SealedPrivateKey, string AcmeEmail)
{
    public static readonly TlsChoice Configured = new(TlsMode.Configured, "", "", "");

    public static TlsChoice Of(ChooseTls c) => new(c.Mode, c.CertificatePem, c.SealedPrivateKey, c.AcmeEmail);

    /// <summary>The shape check the entity makes; certificate validity is checked before the command is sent.</summary>
    public string? Problem() => Mode switch
    {
        TlsMode.Custom when CertificatePem.Length == 0 || SealedPrivateKey.Length == 0 => "a custom certificate needs the certificate and its private key",
        TlsMode.Custom when SealedPrivateKey.Contains("PRIVATE KEY", StringComparison.Ordinal) => "the private key must be sealed",
        TlsMode.LetsEncrypt when !LooksLikeEmail(AcmeEmail) => "Let's Encrypt needs a contact email (name@example.com)",
        TlsMode.Configured or TlsMode.SelfSigned or TlsMode.Custom or TlsMode.LetsEncrypt => null,
        _ => $"unknown TLS mode {(int)Mode}",
    };

    public static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at == email.LastIndexOf('@') && email.IndexOf('.', at) > at + 1 && !email.EndsWith('.')
            && !email.Any(char.IsWhiteSpace) && email.Length <= 254;
    }
}
