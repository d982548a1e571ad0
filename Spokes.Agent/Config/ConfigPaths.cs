namespace Spokes.Agent.Config;

/// <summary>Where the config file lives: --config, else $SPOKES_AGENT_CONFIG, else the per-user (or root) default.</summary>
internal static class ConfigPaths
{
    public const string EnvironmentVariable = "SPOKES_AGENT_CONFIG";

    public static string Resolve(string? fromArguments)
    {
        string? chosen = fromArguments;
        if (string.IsNullOrEmpty(chosen))
        {
            chosen = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrEmpty(chosen))
        {
            chosen = IsRoot()
                ? "/etc/spokes-agent/config.json"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spokes-agent", "config.json");
        }

        return Path.GetFullPath(chosen);
    }

    /// <summary>The local API socket sits next to the config file.</summary>
    public static string SocketFor(string configPath) =>
        Path.Combine(Path.GetDirectoryName(configPath) ?? ".", "agent.sock");

    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";
}
