using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>A certificate the renewer can put in service: the leaf with its key, and its intermediates.</summary>
public sealed record AcmeCertificate(X509Certificate2 Certificate, X509Certificate2Collection Intermediates);

/// <summary>
/// Where the renewer keeps the ACME account and certificate, and who may order. On a node it is the cluster
/// (<see cref="ClusterAcmeStorage"/>): one account and one certificate in the store for every node, one order at a
/// time for the whole cluster. Alone (the renewer's unit tests) it is a folder (<see cref="FileAcmeStorage"/>).
/// </summary>
public interface IAcmeStorage
{
    /// <summary>The saved certificate when it can be read synchronously at start (files), else null.</summary>
    AcmeCertificate? TryLoadNow(out string? error);

    Task<AcmeCertificate?> LoadAsync(CancellationToken ct);

    Task<ECDsa> AccountKeyAsync(CancellationToken ct);

    Task SaveAsync(AcmeCertificateResult result, DateTimeOffset notAfter, CancellationToken ct);

    /// <summary>The right to order now (dispose it when done), or null when another node is ordering.</summary>
    Task<IAsyncDisposable?> TryOrderAloneAsync(CancellationToken ct);

    /// <summary>Completes when another node stored a certificate (read <see cref="LoadAsync"/> then).</summary>
    Task Changed { get; }
}

/// <summary><c>&lt;dataPath&gt;/certs/acme/</c> (see <see cref="AcmeCertificateFiles"/>); nobody else orders.</summary>
public sealed class FileAcmeStorage(string dataPath) : IAcmeStorage
{
    private readonly AcmeCertificateFiles _files = new(dataPath);

    public string Location => _files.CertificatePath;

    public AcmeCertificate? TryLoadNow(out string? error) =>
        _files.TryLoad(out error) is { } saved ? new AcmeCertificate(saved.Certificate, saved.Intermediates) : null;

    public Task<AcmeCertificate?> LoadAsync(CancellationToken ct) => Task.FromResult(TryLoadNow(out _));

    public Task<ECDsa> AccountKeyAsync(CancellationToken ct) => Task.FromResult(_files.LoadOrCreateAccountKey());

    public Task SaveAsync(AcmeCertificateResult result, DateTimeOffset notAfter, CancellationToken ct)
    {
        _files.Save(result);
        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable?> TryOrderAloneAsync(CancellationToken ct) => Task.FromResult<IAsyncDisposable?>(NoLease.Instance);

    public Task Changed { get; } = new TaskCompletionSource().Task;

    private sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
