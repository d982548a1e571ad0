using System.Diagnostics;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>
/// Waits on state that changes by itself (a tunnel going offline, counters being flushed) with a deadline,
/// never a fixed sleep: <c>await Expect.Within(2.Seconds()).That("tunnel offline", async () => ...)</c>.
/// Returns how long it took, so tests can also assert on latency.
/// </summary>
internal static class Expect
{
    public static Deadline Within(TimeSpan timeout) => new(timeout);

    public static TimeSpan Seconds(this int seconds) => TimeSpan.FromSeconds(seconds);

    public static TimeSpan Seconds(this double seconds) => TimeSpan.FromSeconds(seconds);

    internal readonly record struct Deadline(TimeSpan Timeout)
    {
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

        public Task<TimeSpan> That(string what, Func<Task<bool>> condition) =>
            That(what, async () => (await condition(), (object?)null));

        /// <summary>Polls <paramref name="probe"/> until <paramref name="accept"/> holds; the last value seen goes in the failure message.</summary>
        public async Task<T> That<T>(string what, Func<Task<T>> probe, Func<T, bool> accept)
        {
            T last = default!;
            await That(what, async () =>
            {
                last = await probe();
                return (accept(last), (object?)last);
            });
            return last;
        }

        private async Task<TimeSpan> That(string what, Func<Task<(bool Ok, object? Seen)>> condition)
        {
            var clock = Stopwatch.StartNew();
            object? seen = null;
            Exception? error = null;
            while (true)
            {
                try
                {
                    (bool ok, seen) = await condition();
                    error = null;
                    if (ok)
                    {
                        return clock.Elapsed;
                    }
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    error = ex;
                }

                if (clock.Elapsed > Timeout)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"expected {what} within {Timeout.TotalSeconds:0.#} s; last seen: {seen ?? "nothing"}{(error is null ? "" : $"; last error: {error.Message}")}");
                }

                await Task.Delay(Poll);
            }
        }
    }
}
