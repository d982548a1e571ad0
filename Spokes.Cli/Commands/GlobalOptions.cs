namespace Spokes.Cli.Commands;

/// <summary>Takes <c>--config PATH</c> (or <c>--config=PATH</c>) out of the arguments wherever it stands,
/// so every command honours it without declaring it.</summary>
public static class GlobalOptions
{
    public static (string? ConfigPath, string[] Remaining) Extract(string[] args)
    {
        string? config = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length) config = args[++i];
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal)) config = args[i]["--config=".Length..];
            else rest.Add(args[i]);
        }
        return (config, rest.ToArray());
    }
}
