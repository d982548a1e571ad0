namespace Spokes.Agent.Commands;

/// <summary>Tokens passed as "-" are read from stdin so they stay out of argv and shell history.</summary>
internal static class Secrets
{
    public static string Read(string value, string option)
    {
        if (value != "-")
        {
            return value;
        }

        string? line = Console.In.ReadLine()?.Trim();
        return string.IsNullOrEmpty(line) ? throw CliException.BadArguments($"{option} -: nothing on stdin") : line;
    }
}
