using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Acme;
using Spokes.Agent.Config;
using Spokes.Agent.Session;

namespace Spokes.Agent.Http;

/// <summary>
/// Certificates of rules with <c>--letsencrypt</c>, obtained and renewed by the agent with the project's ACME client.
/// The CA's http-01 request for the domain reaches the edge on any node and comes through the tunnel like any
/// visitor; the agent's HTTP stack answers it from <see cref="Challenges"/>. Certificates live next to the config
/// (<c>certs/DOMAIN.crt</c> and <c>.key</c>, mode 0600) and are renewed <see cref="AcmeSettings.RenewDays"/> before
/// they expire, without a restart: new connections get the new one, open ones keep theirs.
/// </summary>
internal sealed class LetsEncrypt(Func<AgentConfig> config, string directory, AgentLog log, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(5);
    private readonly Dictionary<string, DateTimeOffset> _nextCheck = new(StringComparer.OrdinalIgnoreCase);

    public AcmeChallengeStore Challenges { get; } = new();

    public (string Certificate, string Key) FilesFor(string domain)
    {
        string name = domain.ToLowerInvariant();
        return (Path.Combine(directory, "certs", name + ".crt"), Path.Combine(directory, "certs", name + ".key"));
    }

    /// <summary>Every few seconds: each rule with letsEncrypt whose check is due gets a certificate when it has none
    /// that covers it for longer than the renewal window.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Poll, time);
        do
        {
            AgentConfig current = config();
            AcmeSettings settings = current.Acme ?? new AcmeSettings();
            foreach (var rule in current.Http.Where(r => r.LetsEncrypt))
            {
                DateTimeOffset now = time.GetUtcNow();
                if (_nextCheck.TryGetValue(rule.Domain, out var due) && due > now)
                {
                    continue;
                }

                _nextCheck[rule.Domain] = now + TimeSpan.FromSeconds(Math.Max(1, settings.CheckSeconds));
                if (Needs(rule.Domain, settings, now) is not { } why)
                {
                    continue;
                }

                try
                {
                    log.Info($"letsencrypt: {rule.Domain} {why}: ordering from {settings.Directory}");
                    DateTimeOffset until = await ObtainAsync(rule.Domain, settings, cancellationToken).ConfigureAwait(false);
                    log.Info($"letsencrypt: certificate for {rule.Domain} installed, valid until {until:u}");
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever went wrong (the CA, the network, the files), the loop goes on: other rules, later renewals.
                    _nextCheck[rule.Domain] = now + RetryAfterFailure;
                    log.Info($"letsencrypt: {rule.Domain}: {ex.Message} (next try in {RetryAfterFailure.TotalMinutes:0} min)");
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Why the domain needs a certificate now, or null when the one on disk will do.</summary>
    private string? Needs(string domain, AcmeSettings settings, DateTimeOffset now)
    {
        var (certFile, keyFile) = FilesFor(domain);
        if (!File.Exists(certFile) || !File.Exists(keyFile))
        {
            return "has no certificate";
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            if (!certificate.MatchesHostname(domain))
            {
                return "has a certificate for another name";
            }

            return certificate.NotAfter - now <= TimeSpan.FromDays(settings.RenewDays) ? $"expires {certificate.NotAfter:u}" : null;
        }
        catch (CryptographicException)
        {
            return "has an unreadable certificate";
        }
    }

    private async Task<DateTimeOffset> ObtainAsync(string domain, AcmeSettings settings, CancellationToken cancellationToken)
    {
        using var accountKey = AccountKey();
        using var handler = Handler(settings.Ca);
        using var client = new AcmeClient(new Uri(settings.Directory), accountKey, Challenges, handler);
        var result = await client.OrderCertificateAsync([domain], settings.Email, cancellationToken).ConfigureAwait(false);
        var (certFile, keyFile) = FilesFor(domain);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(certFile)!);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(certFile)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Key first, then the chain, each replaced whole: a reader never sees a chain without its key.
        OwnerOnlyFile.Write(keyFile, result.PrivateKeyPem);
        OwnerOnlyFile.Write(certFile, result.ChainPem);
        using var installed = X509Certificate2.CreateFromPem(result.ChainPem);
        return installed.NotAfter;
    }

    /// <summary>The ACME account key (ECDSA P-256), created on first use next to the config.</summary>
    private ECDsa AccountKey()
    {
        string path = Path.Combine(directory, "acme-account.key");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        OwnerOnlyFile.Write(path, key.ExportPkcs8PrivateKeyPem());
        return key;
    }

    private static HttpMessageHandler Handler(string? ca)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) };
        if (ca is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(ca);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = Policy(roots),
            };
        }

        return handler;
    }

    private static X509ChainPolicy Policy(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
