namespace Spokes.Admin.Hosting;

/// <summary>Settings of the console, given by the node to <see cref="ConsoleHostingExtensions.AddSpokesConsole"/>.</summary>
public sealed class ConsoleOptions
{
    /// <summary>Unlocks the first-run "Configure" form while no admin exists. Default: env <c>ADMIN_SECRET</c>.</summary>
    public string? AdminSecret { get; set; } = Environment.GetEnvironmentVariable("ADMIN_SECRET");

    /// <summary>Session cookie. The <c>__Host-</c> prefix makes browsers insist on Secure, Path=/ and no Domain.</summary>
    public string CookieName { get; set; } = "__Host-spokes";
    public string PendingCookieName { get; set; } = "__Host-spokes-2fa";

    /// <summary>A session expires after this long without a request (sliding; checked on the server too).</summary>
    public TimeSpan SessionIdle { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after its sign-in, however much it is used.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Name shown in authenticator apps (the server's domain is a good choice).</summary>
    public string TotpIssuer { get; set; } = "Spokes";

    /// <summary>When set, the issuer in force now (the server's domain, which can change at run time); else <see cref="TotpIssuer"/>.</summary>
    public Func<string>? TotpIssuerNow { get; set; }

    /// <summary>Data-protection keys in the cluster's store, sealed, shared by every node (what a node does).</summary>
    public bool KeysInStore { get; set; }

    /// <summary>Otherwise, where they are kept in files; null keeps them in memory (tests).</summary>
    public string? KeysPath { get; set; }

}
