namespace Spokes.Actors.Security;

/// <summary>Writes files atomically (temp file, then rename), private ones readable by the owner only.</summary>
public static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string text, bool secret) =>
        Write(path, System.Text.Encoding.ASCII.GetBytes(text), secret);

    public static void Write(string path, byte[] bytes, bool secret)
    {
        // A temp name of its own: nodes sharing a data folder may write the same file at once (last one wins whole).
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            // Created 0600, so the key is never readable by others, not even briefly.
            options.UnixCreateMode = OwnerOnly;
        }
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
