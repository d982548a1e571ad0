using OtpNet;
using QRCoder;

namespace Spokes.Admin.Security;

/// <summary>RFC 6238 codes as the console uses them: SHA-1, 6 digits, 30 s steps, one step of clock skew
/// either way. Whether a matched step was used before is the user entity's decision, not this class's.</summary>
public static class TotpCodes
{
    public const int Digits = 6;
    public const int StepSeconds = 30;
    public const string Issuer = "Spokes";

    /// <summary>A new seed: 160 random bits, Base32 (what authenticator apps expect).</summary>
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>The time step the code belongs to, or null when it matches none in the window.</summary>
    public static long? MatchStep(string secret, string? code, DateTimeOffset now)
    {
        code = code?.Replace(" ", "", StringComparison.Ordinal).Trim();
        if (code is not { Length: Digits } || !code.All(char.IsAsciiDigit)) return null;
        var totp = new Totp(Base32Encoding.ToBytes(secret), StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, new VerificationWindow(1, 1)) ? step : null;
    }

    /// <summary>The code for <paramref name="now"/> (tests and the enrolment page's self-check).</summary>
    public static string CodeAt(string secret, DateTimeOffset now) =>
        new Totp(Base32Encoding.ToBytes(secret), StepSeconds, OtpHashMode.Sha1, Digits).ComputeTotp(now.UtcDateTime);

    public static string OtpAuthUri(string account, string secret, string issuer = Issuer) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}" +
        $"?secret={secret}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";

    /// <summary>The URI as a PNG QR code in a data: URL (no request to any third party).</summary>
    public static string QrDataUrl(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(6);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }
}
