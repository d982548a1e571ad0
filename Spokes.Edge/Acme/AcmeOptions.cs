using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>How the renewer reaches the ACME server. Production: defaults (system trust store).</summary>
public sealed class AcmeOptions
{
    /// <summary>Null: a default handler over the system trust store. Tests pass one trusting their ACME server's CA.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Renew when the certificate has less than this left (and refuse to start on one that has).</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How often the renewer looks at the certificate's expiry.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromHours(12);

    /// <summary>First retry delay after a failed attempt; doubles per failure up to <see cref="MaxRetryDelay"/>, ±20 % jitter.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromHours(6);
}
