using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Nodes;

namespace Spokes.Admin.Security;

/// <summary>
/// Keeps the console's shared key ring usable: once the node serves, and every <see cref="CheckEvery"/>, makes
/// sure a key is active now and, when it expires within <see cref="RenewBefore"/>, that its successor exists —
/// activating two days before the old one expires, so every node has read it (rings refresh daily) before it is
/// used (data protection's own generation, two days before expiry, then never has to run). Two nodes making a key
/// at once are serialized by the store (compare-and-set): the loser reads the winner's.
/// </summary>
internal sealed class ConsoleKeyRing(IKeyManager keys, NodeReadiness readiness, TimeProvider time, ILogger<ConsoleKeyRing> log)
    : BackgroundService
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromHours(6);
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(7);
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        readiness.Serving += () => serving.TrySetResult();
        if (readiness.CanServe) serving.TrySetResult();
        await serving.Task.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    Ensure();
                    break;
                }
                catch (KeyRaceException)
                {
                    // The winner's key is in the ring now: look again.
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning("console keys: {Problem}; trying again", ex.GetBaseException().Message);
                    await Task.Delay(TimeSpan.FromSeconds(2 << attempt), time, stoppingToken);
                }
            }
            await Task.Delay(CheckEvery, time, stoppingToken);
        }
    }

    private void Ensure()
    {
        var now = time.GetUtcNow();
        var usable = keys.GetAllKeys().Where(k => !k.IsRevoked).ToList();
        var current = usable.Where(k => k.ActivationDate <= now && k.ExpirationDate > now).MaxBy(k => k.ActivationDate);
        if (current is null)
        {
            keys.CreateNewKey(now, now + Lifetime);
            log.LogInformation("console keys: created the key ring's first key");
            return;
        }
        if (current.ExpirationDate - now > RenewBefore || usable.Any(k => k.ActivationDate > now && k.ExpirationDate > current.ExpirationDate))
            return;
        var activation = current.ExpirationDate - TimeSpan.FromDays(2) > now ? current.ExpirationDate - TimeSpan.FromDays(2) : now;
        keys.CreateNewKey(activation, activation + Lifetime);
        log.LogInformation("console keys: created the next key, active from {Activation:u}", activation);
    }
}
