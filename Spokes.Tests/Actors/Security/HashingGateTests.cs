using Spokes.Actors.Security;
using Spokes.Tunnel.Security;

namespace Spokes.Tests.Actors.Security;

/// <summary>Password hashes run where they cannot starve relaying (docs/reliability.md, "sign-in floods").</summary>
public sealed class HashingGateTests
{
    [Fact]
    public async Task Hash_RunsOnAThreadOfLoweredPriority_AndReturnsItsResult()
    {
        using var gate = new HashingGate();

        var policy = await gate.RunAsync(ThisThreadsPolicy);

        Assert.Equal(5, policy); // SCHED_IDLE
        Assert.Equal(0, ThisThreadsPolicy()); // a relay's thread: SCHED_OTHER
        Assert.True(await gate.RunAsync(() => PasswordHasher.Verify("right", PasswordHasher.Hash("right"))));
    }

    [Fact]
    public async Task Flood_BeyondTheBudget_WaitsItsTurn_ThenRefusedAsBusy_NeverMoreThanTheBudget()
    {
        using var gate = new HashingGate();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Ten times what may wait at once, all together: the excess is refused at once, the others wait their turn
        // (at most MaxWait), and no more hashes run than the budget allows.
        var attempts = Enumerable.Range(0, 10 * HashingGate.MaxQueued).Select(_ => gate.RunAsync(() => true)).ToList();
        var outcomes = await Task.WhenAll(attempts.Select(a => Record.ExceptionAsync(() => a))).WaitAsync(TimeSpan.FromSeconds(60));

        var served = outcomes.Count(e => e is null);
        Assert.All(outcomes.Where(e => e is not null), e => Assert.IsType<HashingBusyException>(e));
        Assert.InRange(served, (int)HashingGate.Burst, (int)(HashingGate.Burst + HashingGate.PerSecond * (clock.Elapsed.TotalSeconds + 1)));
        Assert.True(served < attempts.Count);
        // The waiters were bounded by MaxWait, not by one another (generous bound for a busy machine).
        Assert.True(clock.Elapsed < HashingGate.MaxWait + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(await gate.RunAsync(() => true));
    }

    private static int ThisThreadsPolicy()
    {
        // /proc/thread-self/stat: field 41 is the scheduling policy; the command name (field 2) may hold spaces, so
        // count from the field after it.
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
