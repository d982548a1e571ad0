using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Certificates;
using Spokes.Edge.Tls;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Acme;

public sealed class CertificateRenewerTests
{
    private const string Domain = "spokes.test";

    [Fact]
    public async Task A_saved_certificate_with_time_left_is_served_at_start_without_ordering()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path, acmeDirectory: $"https://127.0.0.1:{FreePorts.One()}/dir");
        var saved = Issue(Domain, TimeSpan.FromDays(60));
        new AcmeCertificateFiles(temp.Path).Save(new AcmeCertificateResult(saved.Chain, saved.Key));
        var server = new ServerCertificate(SelfSignedCertificate.Create(Domain));
        var log = new LineLogger();
        using var renewer = new CertificateRenewer(config, new DomainSource(config.Domain), server, new AcmeChallengeStore(), new AcmeOptions(), log);

        await renewer.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(saved.Thumbprint, server.Current.Thumbprint);
            Assert.True(server.Current.HasPrivateKey);
            Assert.Contains(log.Lines, l => l.Contains("acme: certificate for spokes.test loaded"));
        }
        finally
        {
            await renewer.StopAsync(CancellationToken.None);
        }
        Assert.DoesNotContain(log.Lines, l => l.Contains("not obtained"));
    }

    [Fact]
    public async Task A_certificate_due_for_renewal_is_kept_serving_while_a_failed_order_is_logged_and_retried_later()
    {
        using var temp = new TempDirectory();
        var config = Config(temp.Path, acmeDirectory: $"https://127.0.0.1:{FreePorts.One()}/dir"); // nobody listens
        var saved = Issue(Domain, TimeSpan.FromDays(10));
        new AcmeCertificateFiles(temp.Path).Save(new AcmeCertificateResult(saved.Chain, saved.Key));
        var selfSigned = SelfSignedCertificate.Create(Domain);
        var server = new ServerCertificate(selfSigned);
        var log = new LineLogger();
        using var renewer = new CertificateRenewer(config, new DomainSource(config.Domain), server, new AcmeChallengeStore(), new AcmeOptions(), log);

        await renewer.StartAsync(CancellationToken.None);
        var failure = await log.WaitForAsync("not obtained (attempt 1)", TimeSpan.FromSeconds(30));
        await renewer.StopAsync(CancellationToken.None);

        Assert.Contains("next try in", failure);
        Assert.Equal(selfSigned.Thumbprint, server.Current.Thumbprint);
        Assert.Contains(log.Lines, l => l.Contains("renewing"));
        Assert.True(File.Exists(new AcmeCertificateFiles(temp.Path).AccountKeyPath));
    }

    [Fact]
    public void Retry_delays_grow_with_jitter_and_are_capped()
    {
        using var temp = new TempDirectory();
        using var renewer = new CertificateRenewer(Config(temp.Path, "https://127.0.0.1:1/dir"), new DomainSource(Domain),
            new ServerCertificate(SelfSignedCertificate.Create(Domain)), new AcmeChallengeStore(), new AcmeOptions(), new LineLogger());
        Assert.InRange(renewer.RetryDelay(1), TimeSpan.FromSeconds(48), TimeSpan.FromSeconds(72));
        Assert.InRange(renewer.RetryDelay(3), TimeSpan.FromSeconds(192), TimeSpan.FromSeconds(288));
        Assert.InRange(renewer.RetryDelay(50), TimeSpan.FromHours(4.8), TimeSpan.FromHours(7.2));
    }

    private static SpokesConfig Config(string dataPath, string acmeDirectory) => new()
    {
        Domain = Domain,
        DataPath = dataPath,
        Tls = new TlsConfig { UseLE = true, AcmeDirectory = acmeDirectory },
    };

    /// <summary>A CA-issued-looking leaf (issuer ≠ subject) for <paramref name="name"/>, with an "intermediate" in the chain.</summary>
    private static (string Chain, string Key, string Thumbprint) Issue(string name, TimeSpan left)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test intermediate", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var leaf = request.Create(ca, now.AddDays(-1), now + left, [1, 2, 3, 4]);
        return (leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem(), leaf.Thumbprint);
    }

    private sealed class LineLogger : ILogger<CertificateRenewer>
    {
        private readonly List<string> _lines = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines) return [.. _lines];
            }
        }

        public async Task<string> WaitForAsync(string contains, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                Task changed;
                lock (_lines)
                {
                    if (_lines.FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal)) is { } line) return line;
                    changed = _changed.Task;
                }
                await changed.WaitAsync(cts.Token);
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
                var previous = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                previous.TrySetResult();
            }
        }
    }
}
