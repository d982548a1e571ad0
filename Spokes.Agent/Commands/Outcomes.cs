using Spokes.Agent.Local;

namespace Spokes.Agent.Commands;

/// <summary>Maps a local API answer to an exit code (and its one error line).</summary>
internal static class Outcomes
{
    public static int Report(LocalResponse response, string success)
    {
        if (response.Ok)
        {
            Console.WriteLine(success);
            return ExitCodes.Ok;
        }

        throw Fail(response);
    }

    public static CliException Fail(LocalResponse response) => new(response.Failure switch
    {
        LocalFailures.Invalid => ExitCodes.BadArguments,
        LocalFailures.NotFound => ExitCodes.NotFound,
        LocalFailures.Unreachable => ExitCodes.Unreachable,
        _ => ExitCodes.Failed,
    }, response.Error ?? "failed");
}
