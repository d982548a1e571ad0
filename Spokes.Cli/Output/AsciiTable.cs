using System.Text;

namespace Spokes.Cli.Output;

/// <summary>The boxed tables of the reference manual: a rule above and below every row.</summary>
public static class AsciiTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string footer)
    {
        var all = rows.Select(r => (IReadOnlyList<string>)r.Select(Printable).ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var text = new StringBuilder();
        text.AppendLine(rule).AppendLine(Line(headers, widths)).AppendLine(rule);
        foreach (var row in all)
            text.AppendLine(Line(row, widths)).AppendLine(rule);
        text.Append(footer);
        return text.ToString();
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";

    /// <summary>A cell as the terminal may show it: control characters (escape sequences an agent could put in its
    /// id or hostname, line breaks) are written as \uXXXX instead of being sent to the terminal raw.</summary>
    public static string Printable(string cell)
    {
        if (!cell.Any(char.IsControl)) return cell;
        var text = new StringBuilder(cell.Length + 8);
        foreach (var c in cell)
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        return text.ToString();
    }

    public static string Count(int n, string singular, string plural) => $"{n} {(n == 1 ? singular : plural)}";
}
