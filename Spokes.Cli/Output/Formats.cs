using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Cli.Output;

/// <summary>How values look in tables and JSON.</summary>
public static class Formats
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Minutes(DateTimeOffset t) => t.ToLocalTime().ToString("MMM d, yyyy HH:mm", Invariant);
    public static string Seconds(DateTimeOffset t) => t.ToLocalTime().ToString("MMM d, yyyy HH:mm:ss", Invariant);
    public static string Bool(bool b) => b ? "true" : "false";

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.00", Invariant) + " " + units[unit];
    }

    public static string Uptime(long seconds) => seconds switch
    {
        < 60 => $"{seconds} secs",
        < 3600 => $"{seconds / 60} mins",
        < 86400 => $"{seconds / 3600} hours",
        _ => $"{seconds / 86400} days",
    };

    /// <summary>Parses <c>--since</c>: an ISO date/time, or a duration back from now (30m, 12h, 7d).</summary>
    /// <summary>A moment ahead: a date/time, or a duration from <paramref name="now"/> (30m, 12h, 7d); null when not given.</summary>
    public static DateTimeOffset? ParseUntil(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (TryDuration(text, out var n, out var unit))
        {
            // Ten years ahead at most: further is a typo, not a plan.
            if (n < 1 || n > 10L * 366 * 86400 / unit) throw CliException.BadArguments($"--expires: '{text}' is not between 1 s and 10 years");
            return now + TimeSpan.FromSeconds((double)n * unit);
        }
        if (DateTimeOffset.TryParse(text, Invariant, DateTimeStyles.AssumeLocal, out var at))
            return at > now ? at : throw CliException.BadArguments($"--expires: '{text}' is not in the future");
        throw CliException.BadArguments($"--expires: '{text}' is neither a date/time nor a duration like 30m, 12h or 7d");
    }

    /// <summary>A duration like 30m, 12h or 7d: the count and the seconds in its unit.</summary>
    private static bool TryDuration(string text, out long count, out long unitSeconds)
    {
        unitSeconds = text.Length > 1 ? char.ToLowerInvariant(text[^1]) switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 } : 0;
        count = 0;
        return unitSeconds > 0 && long.TryParse(text[..^1], NumberStyles.None, Invariant, out count);
    }

    public static DateTimeOffset? ParseSince(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (TryDuration(text, out var n, out var unit))
        {
            // Anything reaching back before year 1 means "everything".
            var back = (now - DateTimeOffset.MinValue).TotalSeconds;
            return n > back / unit ? DateTimeOffset.MinValue : now - TimeSpan.FromSeconds((double)n * unit);
        }
        if (DateTimeOffset.TryParse(text, Invariant, DateTimeStyles.AssumeLocal, out var at)) return at;
        throw CliException.BadArguments($"--since: '{text}' is neither a date/time nor a duration like 30m, 12h or 7d");
    }
}
