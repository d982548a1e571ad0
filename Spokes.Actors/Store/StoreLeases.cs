using System.Data.Common;
using Spokes.Actors.Configuration;

namespace Spokes.Actors.Store;

/// <summary>A lease row: who holds it (an owner id and, for people, the node it runs on) until when (the store's clock).</summary>
public sealed record LeaseRow(string Name, string Owner, string Holder, long ExpiresMs, long RenewedMs, long NowMs)
{
    public bool Live => ExpiresMs > NowMs;
}

/// <summary>
/// Leases kept in the node's own store (the SQLite file or PostgreSQL the journal uses), in a table of their own:
/// one row per lease, taken and renewed with one atomic upsert that succeeds only for the holder or once the row
/// has expired. Times are the store's clock, so nodes with skewed clocks agree. Used by the split brain resolver
/// (<see cref="StoreLease"/>) and by the cluster's claim on the store (<see cref="ClusterLeaseKeeper"/>).
/// </summary>
public sealed class StoreLeases(DatabaseConfig db)
{
    private readonly StoreConnection _store = new(db, _ =>
    [
        """
        CREATE TABLE IF NOT EXISTS spokes_lease (
            name VARCHAR(128) PRIMARY KEY, owner VARCHAR(256) NOT NULL, holder VARCHAR(256) NOT NULL,
            expires_ms BIGINT NOT NULL, renewed_ms BIGINT NOT NULL)
        """,
    ]);

    private string Now => _store.NowMs;

    /// <summary>Takes or renews <paramref name="name"/> for <paramref name="owner"/> for <paramref name="ttl"/>; true when held.</summary>
    public async Task<bool> TryAcquireAsync(string name, string owner, string holder, TimeSpan ttl, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO spokes_lease (name, owner, holder, expires_ms, renewed_ms) VALUES (@name, @owner, @holder, {Now} + @ttl, {Now})
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, holder = excluded.holder,
                expires_ms = excluded.expires_ms, renewed_ms = excluded.renewed_ms
            WHERE spokes_lease.owner = excluded.owner OR spokes_lease.expires_ms < {Now}
            RETURNING owner
            """;
        Add(command, "name", name);
        Add(command, "owner", owner);
        Add(command, "holder", holder);
        Add(command, "ttl", (long)ttl.TotalMilliseconds);
        return await command.ExecuteScalarAsync(ct) is string taken && taken == owner;
    }

    /// <summary>Takes the lease whoever holds it (a holder known to be gone).</summary>
    public async Task TakeOverAsync(string name, string owner, string holder, TimeSpan ttl, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO spokes_lease (name, owner, holder, expires_ms, renewed_ms) VALUES (@name, @owner, @holder, {Now} + @ttl, {Now})
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, holder = excluded.holder,
                expires_ms = excluded.expires_ms, renewed_ms = excluded.renewed_ms
            """;
        Add(command, "name", name);
        Add(command, "owner", owner);
        Add(command, "holder", holder);
        Add(command, "ttl", (long)ttl.TotalMilliseconds);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Gives the lease up if <paramref name="owner"/> holds it.</summary>
    public async Task<bool> ReleaseAsync(string name, string owner, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM spokes_lease WHERE name = @name AND owner = @owner";
        Add(command, "name", name);
        Add(command, "owner", owner);
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task<LeaseRow?> ReadAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name, owner, holder, expires_ms, renewed_ms, {Now} FROM spokes_lease WHERE name = @name";
        Add(command, "name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new LeaseRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            : null;
    }

    /// <summary>One round trip to the store (readiness).</summary>
    public async Task PingAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(ct);
    }

    private Task<DbConnection> OpenAsync(CancellationToken ct) => _store.OpenAsync(ct);

    private static void Add(DbCommand command, string name, object value) => StoreConnection.Add(command, name, value);
}
