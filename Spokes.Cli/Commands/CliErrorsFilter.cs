using Cocona.Filters;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

/// <summary>Turns a <see cref="CliException"/> from any command into one line on stderr and its exit code.</summary>
public sealed class CliErrorsFilter(CommandRun run) : ICommandFilter
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
            var name = ex.Option is { } option ? "--" + option.Name : ex.Argument?.Name ?? "argument";
            Console.Error.WriteLine(ex.Result switch
            {
                Cocona.Command.Binder.ParameterBinderResult.InsufficientOption => $"Error: option '{name}' is required",
                Cocona.Command.Binder.ParameterBinderResult.InsufficientOptionValue => $"Error: option '{name}' needs a value",
                Cocona.Command.Binder.ParameterBinderResult.TypeNotSupported => $"Error: bad value for '{name}'",
                _ => $"Error: bad value for '{name}' ({ex.Result})",
            });
            return ExitCodes.BadArguments;
        }
    }
}

/// <summary>Whether a command body ran. When it did not, Cocona refused the command line itself (unknown
/// command or option, missing value), which is a bad-arguments exit (2), not Cocona's 1 or 129.</summary>
public sealed class CommandRun
{
    public bool Started { get; set; }
}
