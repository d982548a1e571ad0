using System.Text.Json;

namespace Spokes.Agent.Config;

/// <summary>Loads and atomically saves the config file (temp file with mode 0600, then rename).</summary>
internal sealed class ConfigStore(string path)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    public string Path { get; } = path;

    public string SocketPath => ConfigPaths.SocketFor(Path);

    public bool Exists => File.Exists(Path);

    /// <summary>The saved config, or an empty one when the file does not exist yet.</summary>
    public AgentConfig Load()
    {
        if (!File.Exists(Path))
        {
            return new AgentConfig();
        }

        try
        {
            using var file = File.OpenRead(Path);
            return JsonSerializer.Deserialize(file, AgentJsonContext.Default.AgentConfig) ?? new AgentConfig();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"config file {Path} is not valid: {ex.Message}", ex);
        }
    }

    public void Save(AgentConfig config)
    {
        string directory = System.IO.Path.GetDirectoryName(Path) ?? ".";
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, OwnerOnlyDirectory);
            }
        }

        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var file = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(file, config, Indented);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<AgentConfig> Indented =
        new AgentJsonContext(new JsonSerializerOptions(AgentJsonContext.Default.Options) { WriteIndented = true }).AgentConfig;
}
