using System.Collections.Immutable;
using Spokes.Actors.Gateway;

namespace Spokes.Admin.Services;

/// <summary>The audit trail for the console's Audit page and its export (the CLI's <c>audit ls</c> and the REST API's
/// <c>/api/v1/audit</c> send the same request).</summary>
public interface IAuditLog
{
    /// <summary>Entries from <paramref name="since"/> on (null: all), oldest first.</summary>
    Task<Outcome<ImmutableList<AuditDto>>> ListAsync(DateTimeOffset? since);
}

public sealed class AuditLog(AdminOperations operations) : IAuditLog
{
    public async Task<Outcome<ImmutableList<AuditDto>>> ListAsync(DateTimeOffset? since) =>
        (await operations.HandleAsync(new AuditRequest(since), "console")).ToOutcome(r => (r as AuditReply)?.Entries);

    /// <summary>The entries whose author contains <paramref name="who"/> and whose event or entity contains
    /// <paramref name="what"/> (case-insensitive; empty: any), newest first.</summary>
    public static ImmutableList<AuditDto> Filter(IEnumerable<AuditDto> entries, string? who, string? what) =>
        entries.Where(e => string.IsNullOrWhiteSpace(who) || e.By.Contains(who.Trim(), StringComparison.OrdinalIgnoreCase))
            .Where(e => string.IsNullOrWhiteSpace(what) || e.Event.Contains(what.Trim(), StringComparison.OrdinalIgnoreCase)
                        || e.Entity.Contains(what.Trim(), StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(e => e.At)
            .ToImmutableList();

    /// <summary>The periods the page offers, as the query value and how far back it reaches (null: everything).</summary>
    public static readonly ImmutableArray<(string Value, string Label, TimeSpan? Back)> Periods =
    [
        ("1h", "last hour", TimeSpan.FromHours(1)),
        ("24h", "last 24 hours", TimeSpan.FromHours(24)),
        ("7d", "last 7 days", TimeSpan.FromDays(7)),
        ("30d", "last 30 days", TimeSpan.FromDays(30)),
        ("all", "everything", null),
    ];

    public static DateTimeOffset? Since(string? period, DateTimeOffset now) =>
        Periods.FirstOrDefault(p => p.Value == period) is { Value: not null } found
            ? found.Back is { } back ? now - back : null
            : now - TimeSpan.FromDays(7);
}
