using Microsoft.Data.Sqlite;

namespace Spokes.Actors.Store;

/// <summary>Prepares the embedded SQLite store before the journal opens it.</summary>
public static class SqliteStore
{
    /// <summary>Creates the folder (owner only), switches the file to WAL (persistent in the file; the
    /// journal plugin does not do it) and returns the connection string. synchronous stays FULL, the
    /// default: an acknowledged write is on disk, not only in the OS cache.</summary>
    public static string Prepare(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteScalar();
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return connectionString;
    }
}
