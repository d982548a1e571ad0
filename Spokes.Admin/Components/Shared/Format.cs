using System.Globalization;

namespace Spokes.Admin.Components.Shared;

public static class Format
{
    /// <summary>Binary units, named as such (1 KiB = 1,024 bytes).</summary>
    public static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>The largest binary unit that <paramref name="bytes"/> holds at least once (B below 1 KiB), and its size.</summary>
    public static (string Name, double Size) UnitFor(double bytes)
    {
        var unit = 0;
        var size = 1.0;
        while (bytes >= size * 1024 && unit < Units.Length - 1)
        {
            size *= 1024;
            unit++;
        }
        return (Units[unit], size);
    }

    public static string Bytes(long bytes)
    {
        var (name, size) = UnitFor(bytes);
        return size == 1 ? $"{bytes} B" : (bytes / size).ToString("0.0", CultureInfo.InvariantCulture) + " " + name;
    }

    public static string Duration(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m {seconds % 60}s",
        < 86400 => $"{seconds / 3600}h {seconds % 3600 / 60}m",
        _ => $"{seconds / 86400}d {seconds % 86400 / 3600}h",
    };

    public static string Millis(long ms) => ms < 1000 ? $"{ms} ms" : Duration(ms / 1000);

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
