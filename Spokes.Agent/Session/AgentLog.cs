namespace Spokes.Agent.Session;

/// <summary>Plain, short log lines on stdout (journald adds the timestamps). Never pass the key here.</summary>
internal sealed class AgentLog(TextWriter output)
{
    private readonly Lock _lock = new();

    public static AgentLog Console { get; } = new(System.Console.Out);

    public void Info(string line)
    {
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
