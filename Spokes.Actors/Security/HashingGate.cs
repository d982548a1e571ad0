using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Spokes.Actors.Security;

/// <summary>
/// Where this node computes password hashes (PBKDF2, 600k iterations: ~170 ms of a core each), so that a flood of
/// sign-in attempts cannot take the CPU the data plane needs. Three bounds: hashes begin at most
/// <see cref="PerSecond"/> times a second on average (bursts of <see cref="Burst"/>), about a twelfth of the cores'
/// time; they run on half the cores' worth of dedicated threads that get only CPU nothing else wants (Linux
/// <c>SCHED_IDLE</c>: a waking relay thread preempts them at once); an attempt waits at most <see cref="MaxWait"/>
/// for its turn (the budget or a thread) and at most <see cref="MaxQueued"/> wait at once. Beyond that it is refused
/// as busy ("try again"). See docs/reliability.md, "sign-in floods".
/// </summary>
public sealed class HashingGate : IDisposable
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(3);
    public const int MaxQueued = 64;

    /// <summary>Hashes begun per second on average: half a hash per core (~8 % of the cores' time).</summary>
    public static readonly double PerSecond = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Hashes that may begin at once after a quiet spell (a few sign-ins together never wait).</summary>
    public static readonly double Burst = 8 * PerSecond;

    private readonly Lock _bucketLock = new();
    private double _tokens = Burst;
    private long _refilled = Environment.TickCount64;
    private int _waiting;

    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(MaxQueued)
    {
        FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = false,
    });

    public HashingGate()
    {
        for (var i = 0; i < Math.Max(1, Environment.ProcessorCount / 2); i++)
            new Thread(Run) { IsBackground = true, Name = "spokes-hashing-" + i }.Start();
    }

    /// <summary>Runs <paramref name="hash"/> on a hashing thread; throws <see cref="HashingBusyException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<T> hash)
    {
        var deadline = Environment.TickCount64 + (long)MaxWait.TotalMilliseconds;
        if (Interlocked.Increment(ref _waiting) > MaxQueued)
        {
            Interlocked.Decrement(ref _waiting);
            throw new HashingBusyException();
        }
        try
        {
            // Waiting for the budget costs no CPU, and a flood's attempts wait as long as a real one's.
            while (!TakeToken(out var refill))
            {
                if (Environment.TickCount64 + refill > deadline) throw new HashingBusyException();
                await Task.Delay(TimeSpan.FromMilliseconds(refill));
            }
            var work = new Work(() => hash(), deadline);
            if (!_queue.Writer.TryWrite(work)) throw new HashingBusyException();
            return (T)(await work.Done.Task)!;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Dispose() => _queue.Writer.TryComplete();

    /// <summary>Takes one hash from the budget, or says in how many milliseconds the next one is there.</summary>
    private bool TakeToken(out long refill)
    {
        lock (_bucketLock)
        {
            var now = Environment.TickCount64;
            _tokens = Math.Min(Burst, _tokens + (now - _refilled) * PerSecond / 1000);
            _refilled = now;
            refill = _tokens >= 1 ? 0 : Math.Max(1, (long)Math.Ceiling((1 - _tokens) * 1000 / PerSecond));
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }

    private void Run()
    {
        LowerThisThreadsPriority();
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!reader.TryRead(out var work)) continue;
            if (Environment.TickCount64 > work.Deadline)
            {
                work.Done.TrySetException(new HashingBusyException());
                continue;
            }
            try
            {
                work.Done.TrySetResult(work.Hash());
            }
            catch (Exception ex)
            {
                work.Done.TrySetException(ex);
            }
        }
    }

    private static void LowerThisThreadsPriority()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            // Per thread on Linux, and lowering one's own needs no privilege. SCHED_IDLE runs only on a core nothing
            // else wants, and a waking relay thread preempts it at once; nice 19 is the fallback where it is refused.
            var param = 0;
            if (SchedSetScheduler(GetTid(), SchedIdle, ref param) != 0) _ = SetPriority(PrioProcess, GetTid(), 19);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: the threads keep the normal priority; the bounds above still hold.
        }
    }

    private const int PrioProcess = 0;
    private const int SchedIdle = 5;

    [DllImport("libc", EntryPoint = "sched_setscheduler")]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    private sealed record Work(Func<object?> Hash, long Deadline)
    {
        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The node's budget of password hashes is spent for now (<see cref="HashingGate"/>).</summary>
public sealed class HashingBusyException() : Exception("too many password checks at once; try again");
