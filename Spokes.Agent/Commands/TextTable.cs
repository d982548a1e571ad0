namespace Spokes.Agent.Commands;

/// <summary>Plain left-aligned columns for the ls commands.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        List<IReadOnlyList<string>> all = [headers, .. rows];
        int[] widths = [.. headers.Select((_, i) => all.Max(r => r[i].Length))];
        return string.Join(Environment.NewLine, all.Select(r => string.Join("  ", r.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd()));
    }
}
