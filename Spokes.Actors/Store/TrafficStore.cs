using System.Collections.Immutable;
using System.Data.Common;
using Spokes.Actors.Configuration;
using Spokes.Actors.Tunnels;

namespace Spokes.Actors.Store;

/// <summary>A tunnel's relayed bytes (both directions) today, this month and ever, UTC.</summary>
public sealed record TrafficTotals(long Daily, long Monthly, long Total)
{
    public static readonly TrafficTotals None = new(0, 0, 0);

    public TrafficTotals Plus(TrafficTotals other) => new(Daily + other.Daily, Monthly + other.Monthly, Total + other.Total);
}

/// <summary>One page of a tunnel's relayed connections, newest first, and how many there are in all.</summary>
public sealed record ConnectionPage(ImmutableList<ConnectionRecord> Connections, long Total);

/// <summary>
/// Traffic history in the store beside the journal, not in it (docs/architecture.md, "Traffic history"): one row per
/// relayed connection in <c>spokes_connection</c>, and additive roll-ups per tunnel and UTC hour, day and month in
/// <c>spokes_traffic</c>. Every node writes the batches of the connections it relayed (one transaction each); roll-ups
/// are summed with an upsert, so nodes never overwrite each other. Connections and hourly roll-ups older than
/// <c>traffic.retentionDays</c> are deleted (<see cref="PruneAsync"/>, by every node, idempotent); daily and monthly
/// roll-ups stay, so totals survive the pruning. Nothing here is replayed when a node starts.
/// </summary>
public sealed class TrafficStore(DatabaseConfig db, TrafficConfig config)
{
    /// <summary>Rows one prune statement deletes, so a large prune never holds the store's write lock for long.</summary>
    public const int PruneChunk = 10_000;

    private readonly StoreConnection _store = new(db, postgres =>
    [
        $"""
        CREATE TABLE IF NOT EXISTS spokes_connection (
            id {(postgres ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY")},
            tunnel_id VARCHAR(128) NOT NULL, closed_ms BIGINT NOT NULL, rule VARCHAR(300) NOT NULL,
            client VARCHAR(128) NOT NULL, bytes_in BIGINT NOT NULL, bytes_out BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL, node VARCHAR(256) NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS spokes_connection_tunnel ON spokes_connection (tunnel_id, closed_ms, id)",
        "CREATE INDEX IF NOT EXISTS spokes_connection_closed ON spokes_connection (closed_ms)",
        """
        CREATE TABLE IF NOT EXISTS spokes_traffic (
            tunnel_id VARCHAR(128) NOT NULL, period CHAR(1) NOT NULL, start_ms BIGINT NOT NULL,
            bytes_in BIGINT NOT NULL, bytes_out BIGINT NOT NULL, connections BIGINT NOT NULL,
            PRIMARY KEY (period, start_ms, tunnel_id))
        """,
    ]);

    public TimeSpan Retention { get; } = TimeSpan.FromDays(config.RetentionDays);

    /// <summary>Writes one batch of relayed connections and adds them to their roll-ups, in one transaction.</summary>
    public async Task WriteAsync(IReadOnlyCollection<(string TunnelId, ConnectionRecord Record)> batch, CancellationToken ct = default)
    {
        if (batch.Count == 0) return;
        await using var connection = await _store.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO spokes_connection (tunnel_id, closed_ms, rule, client, bytes_in, bytes_out, duration_ms, node)
                VALUES (@tunnel, @closed, @rule, @client, @in, @out, @duration, @node)
                """;
            var (tunnel, closed, rule, client, bytesIn, bytesOut, duration, node) = (StoreConnection.Add(insert, "tunnel", ""),
                StoreConnection.Add(insert, "closed", 0L), StoreConnection.Add(insert, "rule", ""), StoreConnection.Add(insert, "client", ""),
                StoreConnection.Add(insert, "in", 0L), StoreConnection.Add(insert, "out", 0L), StoreConnection.Add(insert, "duration", 0L),
                StoreConnection.Add(insert, "node", ""));
            foreach (var (tunnelId, r) in batch)
            {
                (tunnel.Value, closed.Value, rule.Value, client.Value) = (tunnelId, r.Closed.ToUnixTimeMilliseconds(), Bounded(r.Rule, 300), Bounded(r.ClientAddress, 128));
                (bytesIn.Value, bytesOut.Value, duration.Value, node.Value) = (r.BytesIn, r.BytesOut, r.DurationMs, Bounded(r.Node, 256));
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO spokes_traffic (tunnel_id, period, start_ms, bytes_in, bytes_out, connections)
                VALUES (@tunnel, @period, @start, @in, @out, @count)
                ON CONFLICT (period, start_ms, tunnel_id) DO UPDATE SET bytes_in = spokes_traffic.bytes_in + excluded.bytes_in,
                    bytes_out = spokes_traffic.bytes_out + excluded.bytes_out, connections = spokes_traffic.connections + excluded.connections
                """;
            var (tunnel, period, start, bytesIn, bytesOut, count) = (StoreConnection.Add(upsert, "tunnel", ""), StoreConnection.Add(upsert, "period", ""),
                StoreConnection.Add(upsert, "start", 0L), StoreConnection.Add(upsert, "in", 0L), StoreConnection.Add(upsert, "out", 0L),
                StoreConnection.Add(upsert, "count", 0L));
            var rollups = batch
                .SelectMany(c => Periods.Select(p => (c.TunnelId, Period: p, Start: Start(p, c.Record.Closed), c.Record)))
                .GroupBy(x => (x.TunnelId, x.Period, x.Start));
            foreach (var g in rollups)
            {
                (tunnel.Value, period.Value, start.Value) = (g.Key.TunnelId, g.Key.Period, g.Key.Start);
                (bytesIn.Value, bytesOut.Value, count.Value) = (g.Sum(x => x.Record.BytesIn), g.Sum(x => x.Record.BytesOut), (long)g.Count());
                await upsert.ExecuteNonQueryAsync(ct);
            }
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Relayed bytes per tunnel as of <paramref name="now"/>: every tunnel with recorded traffic, or the one asked for.</summary>
    public async Task<IReadOnlyDictionary<string, TrafficTotals>> TotalsAsync(DateTimeOffset now, string? tunnelId = null, CancellationToken ct = default)
    {
        await using var connection = await _store.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // One month row per tunnel and month, and today's day rows: a few rows per tunnel whatever the traffic was.
        command.CommandText = $"""
            SELECT tunnel_id,
                CAST(SUM(CASE WHEN period = 'd' THEN bytes_in + bytes_out ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN period = 'm' AND start_ms = @month THEN bytes_in + bytes_out ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN period = 'm' THEN bytes_in + bytes_out ELSE 0 END) AS BIGINT)
            FROM spokes_traffic WHERE ((period = 'd' AND start_ms = @day) OR period = 'm'){(tunnelId is null ? "" : " AND tunnel_id = @tunnel")}
            GROUP BY tunnel_id
            """;
        StoreConnection.Add(command, "day", Start("d", now));
        StoreConnection.Add(command, "month", Start("m", now));
        if (tunnelId is not null) StoreConnection.Add(command, "tunnel", tunnelId);
        var totals = new Dictionary<string, TrafficTotals>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            totals[reader.GetString(0)] = new TrafficTotals(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        return totals;
    }

    /// <summary>A page of one tunnel's connections, newest first (<paramref name="offset"/> from the newest).</summary>
    public async Task<ConnectionPage> ConnectionsAsync(string tunnelId, int offset, int limit, CancellationToken ct = default)
    {
        await using var connection = await _store.OpenAsync(ct);
        long total;
        await using (var count = connection.CreateCommand())
        {
            count.CommandText = "SELECT COUNT(*) FROM spokes_connection WHERE tunnel_id = @tunnel";
            StoreConnection.Add(count, "tunnel", tunnelId);
            total = Convert.ToInt64(await count.ExecuteScalarAsync(ct));
        }
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT closed_ms, rule, client, bytes_in, bytes_out, duration_ms, node FROM spokes_connection
            WHERE tunnel_id = @tunnel ORDER BY closed_ms DESC, id DESC LIMIT @limit OFFSET @offset
            """;
        StoreConnection.Add(command, "tunnel", tunnelId);
        StoreConnection.Add(command, "limit", limit);
        StoreConnection.Add(command, "offset", offset);
        var rows = ImmutableList.CreateBuilder<ConnectionRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new ConnectionRecord(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6)));
        return new ConnectionPage(rows.ToImmutable(), total);
    }

    /// <summary>The daily roll-ups of the last <paramref name="days"/> days up to <paramref name="now"/>'s, oldest first, of one
    /// tunnel or summed over all (days without traffic left out): what every node recorded, whichever is up now.</summary>
    public async Task<IReadOnlyList<RollupRow>> DailyAsync(DateTimeOffset now, int days, string? tunnelId = null, CancellationToken ct = default)
    {
        await using var connection = await _store.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT start_ms, CAST(SUM(bytes_in) AS BIGINT), CAST(SUM(bytes_out) AS BIGINT), CAST(SUM(connections) AS BIGINT)
            FROM spokes_traffic WHERE period = 'd' AND start_ms >= @from AND start_ms <= @to{(tunnelId is null ? "" : " AND tunnel_id = @tunnel")}
            GROUP BY start_ms ORDER BY start_ms
            """;
        StoreConnection.Add(command, "from", Start("d", now) - (days - 1) * 86_400_000L);
        StoreConnection.Add(command, "to", Start("d", now));
        if (tunnelId is not null) StoreConnection.Add(command, "tunnel", tunnelId);
        var rows = new List<RollupRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new RollupRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        return rows;
    }

    /// <summary>Deletes connections and hourly roll-ups older than the retention, in chunks; the number of rows deleted.</summary>
    public async Task<long> PruneAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        var cutoff = (now - Retention).ToUnixTimeMilliseconds();
        await using var connection = await _store.OpenAsync(ct);
        long deleted = 0;
        int chunk;
        do
        {
            chunk = await DeleteAsync(connection,
                "DELETE FROM spokes_connection WHERE id IN (SELECT id FROM spokes_connection WHERE closed_ms < @cutoff LIMIT @chunk)", cutoff, ct);
            deleted += chunk;
        } while (chunk >= PruneChunk);
        return deleted + await DeleteAsync(connection, "DELETE FROM spokes_traffic WHERE period = 'h' AND start_ms < @cutoff", cutoff, ct);
    }

    private static async Task<int> DeleteAsync(DbConnection connection, string sql, long cutoff, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        StoreConnection.Add(command, "cutoff", cutoff);
        if (sql.Contains("@chunk", StringComparison.Ordinal)) StoreConnection.Add(command, "chunk", PruneChunk);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static readonly string[] Periods = ["h", "d", "m"];

    /// <summary>Where the UTC hour, day or month of <paramref name="at"/> begins, in Unix milliseconds.</summary>
    public static long Start(string period, DateTimeOffset at)
    {
        var t = at.UtcDateTime;
        var start = period switch
        {
            "h" => new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc),
            "d" => new DateTime(t.Year, t.Month, t.Day, 0, 0, 0, DateTimeKind.Utc),
            "m" => new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, "h, d or m"),
        };
        return new DateTimeOffset(start).ToUnixTimeMilliseconds();
    }

    private static string Bounded(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>One roll-up: its period's start (Unix ms, UTC), bytes each way and connections recorded in it.</summary>
public sealed record RollupRow(long StartMs, long BytesIn, long BytesOut, long Connections);
