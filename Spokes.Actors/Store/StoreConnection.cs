using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Spokes.Actors.Configuration;

namespace Spokes.Actors.Store;

/// <summary>
/// Connections to the node's own store (the SQLite file or PostgreSQL the journal uses) for the tables Spokes keeps
/// beside the journal: leases (<see cref="StoreLeases"/>) and traffic history (<see cref="TrafficStore"/>). Each
/// owner creates its tables on first use (<paramref name="schema"/>: one statement per entry, <c>IF NOT EXISTS</c>);
/// a failed creation is tried again on the next use.
/// </summary>
public sealed class StoreConnection(DatabaseConfig db, Func<bool, IReadOnlyList<string>> schema)
{
    private readonly string _connectionString = db.Provider == "postgres"
        ? db.ConnectionString
        : new SqliteConnectionStringBuilder { DataSource = db.Path, DefaultTimeout = 5 }.ToString();
    private int _created;

    public bool Postgres { get; } = db.Provider == "postgres";

    /// <summary>The store's clock in Unix milliseconds, as an SQL expression.</summary>
    public string NowMs => Postgres
        ? "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"
        : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        DbConnection connection = Postgres ? new NpgsqlConnection(_connectionString) : new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            if (Interlocked.CompareExchange(ref _created, 1, 0) == 0)
            {
                try
                {
                    foreach (var statement in schema(Postgres))
                    {
                        await using var create = connection.CreateCommand();
                        create.CommandText = statement;
                        await create.ExecuteNonQueryAsync(ct);
                    }
                }
                catch
                {
                    Volatile.Write(ref _created, 0);
                    throw;
                }
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public static DbParameter Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
