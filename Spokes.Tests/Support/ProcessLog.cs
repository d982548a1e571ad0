using System.Diagnostics;

namespace Spokes.Tests.Support;

/// <summary>
/// Every line every process of a testbed wrote, interleaved and stamped with the time since the bed
/// started and the process's name. Dumped to the test output when a scenario fails.
/// </summary>
internal sealed class ProcessLog
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _lines = [];

    public int Count
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    public void Add(string source, string line)
    {
        lock (_lines)
        {
            _lines.Add($"{_clock.Elapsed.TotalSeconds,8:0.000} [{source}] {line}");
        }
    }

    /// <summary>The lines from <paramref name="from"/> on, the last <paramref name="max"/> of them.</summary>
    public string Since(int from, int max = 400)
    {
        lock (_lines)
        {
            int start = Math.Max(from, _lines.Count - max);
            string skipped = start > from ? $"... {start - from} earlier lines skipped\n" : "";
            return skipped + string.Join('\n', _lines.Skip(start));
        }
    }
}
