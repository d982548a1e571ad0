namespace Spokes.Agent.Config;

/// <summary>Files only the agent's user may read (keys, certificates' private keys): written beside the target with
/// mode 0600, then moved over it, so a reader never sees a half-written or world-readable file.</summary>
internal static class OwnerOnlyFile
{
    public static void Write(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }
}
