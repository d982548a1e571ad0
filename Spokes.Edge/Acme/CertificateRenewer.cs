using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Edge.Certificates;
using Spokes.Edge.Tls;

using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>
/// <c>tls.useLE</c>: keeps an ACME certificate for the server's domain in <see cref="ServerCertificate"/>. At start it
/// serves the saved one if it covers the domain and has more than <see cref="AcmeOptions.RenewBefore"/> left, else
/// orders one (the self-signed certificate is served meanwhile). Then it checks every
/// <see cref="AcmeOptions.CheckInterval"/> and renews in time; a failed attempt is retried with jittered backoff.
/// One log line per attempt outcome. Registered on every node; it works only while <see cref="AcmeSwitch.Wanted"/>
/// (<c>tls.useLE</c>, or Let's Encrypt chosen in the console) and idles otherwise. In a cluster
/// (<see cref="ClusterAcmeStorage"/>) the account and certificate are the cluster's, one node orders at a time, and
/// a certificate another node obtained is put in service here as soon as it is stored.
/// </summary>
public sealed class CertificateRenewer(
    SpokesConfig config,
    Spokes.Actors.Gateway.DomainSource domains,
    ServerCertificate server,
    AcmeChallengeStore challenges,
    AcmeOptions options,
    ILogger<CertificateRenewer> log,
    TimeProvider? time = null,
    AcmeSwitch? acme = null,
    IAcmeStorage? storage = null) : BackgroundService
{
    /// <summary>While another node orders, look again this often (or as soon as it stores a certificate).</summary>
    public static readonly TimeSpan OtherNodeOrdering = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly AcmeSwitch _acme = acme ?? new AcmeSwitch(config.Tls.UseLE, config.Tls.AcmeEmail);
    private readonly IAcmeStorage _storage = storage ?? new FileAcmeStorage(config.DataPath);
    private DateTimeOffset? _notAfter;
    private string? _installedThumbprint;
    private string _servedDomain = domains.Current;

    /// <summary>The server's domain in force (it can change at run time: a new one is ordered at once).</summary>
    private string Domain => domains.Current;

    /// <summary>Completed each time a certificate was put in service (for tests and diagnostics).</summary>
    public int Installed { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Files are read synchronously: a still-valid certificate is served from the first handshake on.
        if (_acme.Wanted)
        {
            if (_storage.TryLoadNow(out var error) is { } saved) ServeSaved(saved);
            else if (error is not null) log.LogWarning("acme: ignoring the saved certificate: {Error}", error);
        }
        return base.StartAsync(cancellationToken);
    }

    private async Task ServeSavedAsync(CancellationToken ct)
    {
        try
        {
            if (await _storage.LoadAsync(ct) is { } saved) ServeSaved(saved);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("acme: the saved certificate could not be read: {Error}", e.Message.ReplaceLineEndings(" "));
        }
    }

    private void ServeSaved(AcmeCertificate saved)
    {
        if (saved.Certificate.Thumbprint == _installedThumbprint) return;
        if (CertificateMatcher.ValidateForDomain(saved.Certificate, Domain, _time) is { } problem)
            log.LogInformation("acme: saved certificate not used: {Problem}", problem);
        else if (!IsDue(saved.Certificate.NotAfter))
            Install(saved.Certificate, saved.Intermediates, "loaded");
        else
            log.LogInformation("acme: saved certificate for {Domain} expires {NotAfter:yyyy-MM-dd}, renewing", Domain,
                saved.Certificate.NotAfter.ToUniversalTime());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var failures = 0;
        var active = _acme.Wanted;
        if (active) await ServeSavedAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var changed = _acme.Changed;
            var stored = _storage.Changed;
            if (!_acme.Wanted)
            {
                if (active) log.LogInformation("acme: renewer idle (another TLS mode is chosen)");
                (active, failures, _notAfter) = (false, 0, null);
                try
                {
                    await changed.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (!active || _servedDomain != Domain)
            {
                (active, _notAfter, _servedDomain) = (true, null, Domain);
                await ServeSavedAsync(stoppingToken);
            }
            TimeSpan wait;
            if (_notAfter is { } notAfter && !IsDue(notAfter.UtcDateTime))
            {
                var untilDue = notAfter - options.RenewBefore - _time.GetUtcNow();
                wait = untilDue < options.CheckInterval ? untilDue : options.CheckInterval;
                if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
            }
            else
            {
                try
                {
                    if (!await OrderAsync(stoppingToken))
                    {
                        wait = OtherNodeOrdering; // another node orders; its certificate comes through the store
                    }
                    else
                    {
                        failures = 0;
                        // A certificate issued with less than RenewBefore left is not ordered again at once.
                        if (IsDue(_notAfter!.Value.UtcDateTime)) wait = options.CheckInterval;
                        else continue;
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failures++;
                    wait = RetryDelay(failures);
                    log.LogWarning("acme: certificate for {Domain} not obtained (attempt {Attempt}): {Error}; next try in {Wait}",
                        Domain, failures, e.Message.ReplaceLineEndings(" "), wait.ToString(@"d\.hh\:mm\:ss"));
                }
            }
            // A change of the switch, or a certificate another node stored, ends the wait early.
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, _time, wake.Token);
            var first = await Task.WhenAny(delay, changed, stored);
            await wake.CancelAsync();
            if (stoppingToken.IsCancellationRequested) return;
            if (first == stored && _acme.Wanted) await ServeSavedAsync(stoppingToken);
        }
    }

    /// <summary>Orders a certificate unless another node is doing it (false then). Holding the right to order, it
    /// first looks whether another node stored a good one meanwhile.</summary>
    private async Task<bool> OrderAsync(CancellationToken ct)
    {
        await using var alone = await _storage.TryOrderAloneAsync(ct);
        if (alone is null) return false;
        await ServeSavedAsync(ct);
        if (_notAfter is { } current && !IsDue(current.UtcDateTime)) return true;
        using var accountKey = await _storage.AccountKeyAsync(ct);
        using var client = new AcmeClient(new Uri(config.Tls.AcmeDirectory), accountKey, challenges, options.Handler, log, _time);
        var result = await client.OrderCertificateAsync([Domain], _acme.Email, ct);
        var (certificate, intermediates) = AcmeCertificateFiles.FromPem(result.ChainPem, result.PrivateKeyPem);
        if (CertificateMatcher.ValidateForDomain(certificate, Domain, _time) is { } problem)
            throw new AcmeException($"the issued certificate is not usable: {problem}");
        await _storage.SaveAsync(result, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), ct);
        Install(certificate, intermediates, "issued");
        return true;
    }

    private void Install(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection intermediates, string how)
    {
        _notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (!_acme.RunIfWanted(() => server.Replace(certificate, intermediates)))
        {
            log.LogInformation("acme: certificate for {Domain} {How} but not served: another TLS mode is chosen", Domain, how);
            return;
        }
        _notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        _installedThumbprint = certificate.Thumbprint;
        Installed++;
        log.LogInformation("acme: certificate for {Domain} {How} (issuer {Issuer}, valid until {NotAfter:yyyy-MM-dd HH:mm} UTC), serving it",
            Domain, how, certificate.Issuer, _notAfter.Value);
    }

    private bool IsDue(DateTime notAfter) => notAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime <= options.RenewBefore;

    internal TimeSpan RetryDelay(int failures)
    {
        var exponent = Math.Min(failures - 1, 20);
        var ticks = Math.Min(options.FirstRetryDelay.Ticks * Math.Pow(2, exponent), options.MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + 0.4 * Random.Shared.NextDouble())));
    }
}
