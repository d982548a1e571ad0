using Spokes.Actors.Configuration;

namespace Spokes.Actors.Store;

/// <summary>One event row of the journal: where it is in the journal's order, whose it is, and its serialized form.</summary>
public sealed record JournalEventRow(long Ordering, string PersistenceId, long SequenceNr, int Identifier, string Manifest, byte[] Message);

/// <summary>
/// Reads the journal's events of one tag in the journal's order, a page per indexed query, for the catalog's catch-up
/// at start. The query plugin's own tag query (Akka.Persistence.Sql 1.5.73, tags in a table) computes each row's tags
/// with a sub-query over the whole tags table, so replaying n events read n² tag rows: 122 s for 40,000 events, more
/// than 5 minutes for 200,000 (docs/architecture.md, "Catalog catch-up").
/// </summary>
public sealed class JournalReader(DatabaseConfig db)
{
    public const int PageSize = 2000;
    private readonly StoreConnection _store = new(db, _ => []);

    /// <summary>Up to <paramref name="limit"/> undeleted events tagged <paramref name="tag"/> after ordering <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<JournalEventRow>> PageAsync(string tag, long after, int limit = PageSize, CancellationToken ct = default)
    {
        await using var connection = await _store.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // The tags table's primary key (ordering_id, tag) bounds the sub-query to the page's range.
        command.CommandText = $"""
            SELECT j.ordering, j.persistence_id, j.sequence_number, j.identifier, j.manifest, j.message FROM journal j
            WHERE j.ordering > @after AND {(_store.Postgres ? "NOT j.deleted" : "j.deleted = 0")}
              AND j.ordering IN (SELECT t.ordering_id FROM tags t WHERE t.ordering_id > @after AND t.tag = @tag)
            ORDER BY j.ordering LIMIT @limit
            """;
        StoreConnection.Add(command, "after", after);
        StoreConnection.Add(command, "tag", tag);
        StoreConnection.Add(command, "limit", limit);
        var rows = new List<JournalEventRow>(limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new JournalEventRow(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt32(3), reader.IsDBNull(4) ? "" : reader.GetString(4), (byte[])reader.GetValue(5)));
        return rows;
    }
}
