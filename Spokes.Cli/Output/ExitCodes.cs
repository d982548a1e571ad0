using Spokes.Actors.Entities;

namespace Spokes.Cli.Output;

/// <summary>Exit codes of SPEC §5.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadArguments = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;

    public static int For(Refusal refusal) => refusal.Code switch
    {
        ErrorCode.NotFound => NotFound,
        ErrorCode.Invalid => BadArguments,
        ErrorCode.Unavailable => Unreachable,
        _ => Failed,
    };
}

/// <summary>Stops a command with one line on stderr and an exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    public static CliException BadArguments(string message) => new(ExitCodes.BadArguments, message);
}
