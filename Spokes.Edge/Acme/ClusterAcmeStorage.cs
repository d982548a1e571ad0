using System.Security.Cryptography;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Actors.Configuration;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;
using Spokes.Actors.Store;

using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>
/// The cluster's ACME state: the account key and the certificate in the settings entity (keys sealed), so the
/// certificate is obtained once and served by every node, and a store lease (<c>spokes-acme</c>) so only one node
/// orders at a time. Every node's renewer hears about a stored certificate through <see cref="AcmeCertificateBoard"/>.
/// </summary>
public sealed class ClusterAcmeStorage(IServiceProvider services, Spokes.Actors.Gateway.DomainSource domains, SecretBox secrets, StoreLeases leases,
    AcmeCertificateBoard board, string node) : IAcmeStorage
{
    public const string LeaseName = "spokes-acme";
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    // Resolved late: the settings entity exists once the actor system runs.
    private IActorRef Settings => services.GetRequiredService<ActorRegistry>().Get<SettingsEntity>();

    public AcmeCertificate? TryLoadNow(out string? error)
    {
        error = null;
        return null;
    }

    public async Task<AcmeCertificate?> LoadAsync(CancellationToken ct)
    {
        var stored = (await ReadAsync(ct)).AcmeCertificate;
        if (stored is null || !string.Equals(stored.Domain, domains.Current, StringComparison.OrdinalIgnoreCase)) return null;
        var (certificate, intermediates) = AcmeCertificateFiles.FromPem(stored.ChainPem, secrets.Open(stored.SealedKey));
        return new AcmeCertificate(certificate, intermediates);
    }

    public async Task<ECDsa> AccountKeyAsync(CancellationToken ct)
    {
        var sealedKey = (await ReadAsync(ct)).SealedAcmeAccountKey;
        if (sealedKey is null)
        {
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            // The first node to store one wins; everyone then reads that one.
            await Settings.Ask<SettingsReply>(new SaveAcmeAccount(SettingsIds.Server, secrets.Seal(fresh.ExportPkcs8PrivateKeyPem()), node),
                AskTimeout, ct);
            sealedKey = (await ReadAsync(ct)).SealedAcmeAccountKey!;
        }
        var key = ECDsa.Create();
        key.ImportFromPem(secrets.Open(sealedKey));
        return key;
    }

    public async Task SaveAsync(AcmeCertificateResult result, DateTimeOffset notAfter, CancellationToken ct) =>
        await Settings.Ask<SettingsReply>(new SaveAcmeCertificate(SettingsIds.Server, domains.Current, result.ChainPem,
            secrets.Seal(result.PrivateKeyPem), notAfter, node), AskTimeout, ct);

    public async Task<IAsyncDisposable?> TryOrderAloneAsync(CancellationToken ct) =>
        await leases.TryAcquireAsync(LeaseName, node, node, LeaseTtl, ct) ? new Lease(leases, node) : null;

    public Task Changed => board.Changed;

    private async Task<SettingsState> ReadAsync(CancellationToken ct) =>
        (await Settings.Ask<SettingsReply>(new GetSettings(SettingsIds.Server), AskTimeout, ct)).Settings;

    private sealed class Lease(StoreLeases leases, string owner) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await leases.ReleaseAsync(LeaseName, owner);
            }
            catch (Exception)
            {
                // It expires by itself.
            }
        }
    }
}

/// <summary>Tells the node's renewer when the cluster stored another ACME certificate (fed by the settings
/// watcher from every settings change).</summary>
public sealed class AcmeCertificateBoard
{
    private readonly Lock _lock = new();
    private StoredAcmeCertificate? _last;
    private bool _seen;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Changed
    {
        get
        {
            lock (_lock) return _changed.Task;
        }
    }

    public void Observe(StoredAcmeCertificate? stored)
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            if (_seen && stored == _last) return;
            var initial = !_seen;
            (_seen, _last) = (true, stored);
            if (initial || stored is null) return; // what the node found at start is not a change
            fired = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }
}
