using System.Security.Cryptography;

namespace Spokes.Tunnel.Security;

/// <summary>PBKDF2-SHA256 password hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
/// <remarks>The hash is computed where the password is typed (CLI, console, agent CLI), so a password never
/// crosses the cluster port, the tunnel, nor lands in the journal or the agent's config.</remarks>
public static class PasswordHasher
{
    public const int Iterations = 600_000;
    public const int MinimumLength = 8;

    public static string Hash(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>One line explaining why a password is refused, or null when it is acceptable.</summary>
    public static string? Weakness(string password) =>
        password.Length < MinimumLength ? $"password must have at least {MinimumLength} characters" : null;

    public static bool LooksHashed(string value) => value.StartsWith("pbkdf2-sha256$", StringComparison.Ordinal);
}
