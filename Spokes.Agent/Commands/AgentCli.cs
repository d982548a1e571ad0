using Cocona.Filters;

namespace Spokes.Agent.Commands;

/// <summary>Exit codes of SPEC §6.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadArguments = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;
}

/// <summary>Stops a command with one line on stderr and an exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException BadArguments(string message) => new(ExitCodes.BadArguments, message);
}

/// <summary>Global options, taken out of the arguments before Cocona sees them.</summary>
internal sealed record CliOptions(string ConfigPath)
{
    public static (string? ConfigPath, string[] Remaining) Extract(string[] args)
    {
        string? config = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                config = args[++i];
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                config = args[i]["--config=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return (config, rest.ToArray());
    }
}

/// <summary>Whether a command body ran; when it did not, Cocona refused the command line (exit 2).</summary>
internal sealed class CommandRun
{
    public bool Started { get; set; }
}

/// <summary>Turns a <see cref="CliException"/> into one line on stderr and its exit code.</summary>
internal sealed class CliErrorsFilter(CommandRun run) : ICommandFilter
{
    public async ValueTask<int> OnCommandExecutionAsync(CoconaCommandExecutingContext ctx, CommandExecutionDelegate next)
    {
        run.Started = true;
        try
        {
            return await next(ctx);
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine("Error: " + ex.Message);
            return ex.ExitCode;
        }
        catch (Cocona.Command.Binder.ParameterBinderException ex)
        {
            string name = ex.Option is { } option ? "--" + option.Name : ex.Argument?.Name ?? "argument";
            Console.Error.WriteLine($"Error: bad or missing value for '{name}'");
            return ExitCodes.BadArguments;
        }
        catch (InvalidDataException ex)
        {
            Console.Error.WriteLine("Error: " + ex.Message);
            return ExitCodes.Failed;
        }
    }
}
