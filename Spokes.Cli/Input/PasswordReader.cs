using Spokes.Tunnel.Security;
using System.Text;
using Spokes.Actors.Security;
using Spokes.Cli.Output;

namespace Spokes.Cli.Input;

/// <summary>Reads a password from a hidden terminal prompt (with confirmation) or one line of stdin.
/// Never from argv: arguments are visible to every user of the machine.</summary>
public static class PasswordReader
{
    public static string Read(bool fromStdin, string prompt)
    {
        string password;
        if (fromStdin)
        {
            password = Console.In.ReadLine() ?? "";
        }
        else
        {
            if (Console.IsInputRedirected)
                throw CliException.BadArguments("no terminal to prompt for the password: use --password-stdin");
            password = Prompt(prompt);
            if (Prompt("Confirm: ") != password)
                throw CliException.BadArguments("passwords do not match");
        }
        if (PasswordHasher.Weakness(password) is { } weakness)
            throw CliException.BadArguments(weakness);
        return password;
    }

    private static string Prompt(string prompt)
    {
        Console.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.WriteLine();
        return text.ToString();
    }
}
