namespace Spokes.Actors.Security;

/// <summary>Writes files atomically (temp file, then rename), private ones readable by the owner only.</summary>
public static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string text, bool secret) =>
        Write(path, System.Text.Encoding.ASCII.GetBytes(text), secret);

    public static void Write(string path, byte[] bytes, bool secret)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            // Created 0600, so the key is never readable by others, not even briefly.
            options.UnixCreateMode = OwnerOnly;
        }
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        if (secret && !OperatingSystem.IsWindows())
        {
            // UnixCreateMode does not apply when a stale temp file already existed.
            File.SetUnixFileMode(temp, OwnerOnly);
        }
        File.Move(temp, path, overwrite: true);
    }
}
