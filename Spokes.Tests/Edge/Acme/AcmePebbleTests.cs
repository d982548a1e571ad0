using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Certificates;

namespace Spokes.Tests.Edge.Acme;

/// <summary>The ACME client against a real pebble (Debian package), http-01 answered by a loopback responder.</summary>
public sealed class AcmePebbleTests
{
    private const string Name = "localhost";

    [Fact]
    public async Task Orders_a_certificate_that_covers_the_name_and_chains_to_pebbles_root()
    {
        var store = new AcmeChallengeStore();
        await using var responder = new ChallengeResponder(store);
        await using var pebble = await PebbleServer.StartAsync(responder.Port, nonceRejectPercent: 0);
        using var handler = pebble.CreateHandler();
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new AcmeClient(pebble.DirectoryUrl, accountKey, store, handler);

        var result = await client.OrderCertificateAsync([Name], "ops@example.com", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(responder.Answered > 0, "pebble never fetched the challenge");
        Assert.Equal(0, store.Count);
        var (certificate, intermediates) = AcmeCertificateFiles.FromPem(result.ChainPem, result.PrivateKeyPem);
        Assert.True(certificate.HasPrivateKey);
        Assert.True(CertificateMatcher.Covers(certificate, Name));
        Assert.Null(CertificateMatcher.ValidateForDomain(certificate, Name));

        using var root = await pebble.GetRootAsync();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(root.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);

        // The same key finds its account again (newAccount answers with the same URL).
        using var again = new AcmeClient(pebble.DirectoryUrl, accountKey, store, handler);
        Assert.Equal(client.AccountUrl, await again.RegisterAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task Retries_bad_nonces()
    {
        var store = new AcmeChallengeStore();
        await using var responder = new ChallengeResponder(store);
        // Half of all good nonces refused: retries happen on nearly every run, and 20 in a row stay improbable.
        await using var pebble = await PebbleServer.StartAsync(responder.Port, nonceRejectPercent: 50);
        using var handler = pebble.CreateHandler();
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new AcmeClient(pebble.DirectoryUrl, accountKey, store, handler) { MaxBadNonceRetries = 20 };

        var result = await client.OrderCertificateAsync([Name], null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains("-----BEGIN CERTIFICATE-----", result.ChainPem);
        Assert.True(client.BadNonceRetries > 0, "pebble refused no nonce");
    }

    [Fact]
    public async Task A_failed_challenge_is_an_error_naming_the_problem()
    {
        var store = new AcmeChallengeStore();
        await using var responder = new ChallengeResponder(new AcmeChallengeStore()); // answers 404 to everything
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var handler = pebble.CreateHandler();
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new AcmeClient(pebble.DirectoryUrl, accountKey, store, handler);

        var error = await Assert.ThrowsAsync<AcmeException>(() =>
            client.OrderCertificateAsync([Name], null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("http-01", error.Message);
        Assert.Equal(0, store.Count);
    }
}
