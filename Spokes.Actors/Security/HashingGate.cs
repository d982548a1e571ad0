namespace Spokes.Actors.Security;

/// <summary>
/// Bounds how many password hashes (PBKDF2, 600k iterations: ~170 ms of a core each) run at once on this node,
/// so a flood of sign-in attempts cannot take the cores the data plane needs: at most half the cores hash, and
/// an attempt waits at most <see cref="MaxWait"/> for its turn before it is refused as busy.
/// </summary>
public sealed class HashingGate
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(3);
    private readonly SemaphoreSlim _slots = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>Runs <paramref name="hash"/> on the thread pool once a slot is free; throws <see cref="HashingBusyException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<T> hash)
    {
        if (!await _slots.WaitAsync(MaxWait)) throw new HashingBusyException();
        try
        {
            return await Task.Run(hash);
        }
        finally
        {
            _slots.Release();
        }
    }
}

/// <summary>Every hashing slot stayed busy for <see cref="HashingGate.MaxWait"/>.</summary>
public sealed class HashingBusyException() : Exception("too many password checks at once; try again");
