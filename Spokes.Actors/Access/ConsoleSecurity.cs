using System.Collections.Immutable;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Access;

public interface IConsoleSecurityMessage : IEntityMessage;

/// <summary>What happened at the console's door, summed per kind, account and address over a period.</summary>
public sealed record SecurityTally(string Kind, string Account, string Address, int Count, DateTimeOffset First, DateTimeOffset Last)
    : IWireMessage;

/// <summary>One node's period of sign-in events (<paramref name="Others"/>: events past the per-period cap).</summary>
public sealed record RecordConsoleSecurity(string EntityId, ImmutableList<SecurityTally> Entries, int Others, string By) : IConsoleSecurityMessage;

public sealed record ConsoleSecurityRecorded(ImmutableList<SecurityTally> Entries, int Others, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => "console: " + string.Join("; ", Entries.Select(e =>
                                    $"{e.Count} {e.Kind}{(e.Account.Length > 0 ? " for " + e.Account : "")} from {e.Address} " +
                                    $"({e.First:HH:mm:ss}{(e.Count > 1 ? $"–{e.Last:HH:mm:ss}" : "")} UTC)"))
                                + (Others > 0 ? $"; {Others} more" : "");
}

public sealed record ConsoleSecurityReply : IWireMessage
{
    public static readonly ConsoleSecurityReply Instance = new();
}

/// <summary>The console's security events as the journal keeps them: the audit trail reads them; no state to decide on.</summary>
public sealed record ConsoleSecurityState : IWireMessage
{
    public const string Id = "console";
    public static readonly ConsoleSecurityState Empty = new();

    public Decision Decide(IConsoleSecurityMessage command, DateTimeOffset now) => command switch
    {
        RecordConsoleSecurity { Entries.IsEmpty: true } => Decision.Answer(),
        RecordConsoleSecurity r => Decision.Persist(new ConsoleSecurityRecorded(r.Entries, r.Others, now, r.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };
}

/// <summary>The one entity (id <see cref="ConsoleSecurityState.Id"/>) that writes the console's security events.</summary>
public sealed class ConsoleSecurityEntity : EntityActor<ConsoleSecurityState, IConsoleSecurityMessage>
{
    public const string Kind = "console-security";

    public ConsoleSecurityEntity(string entityId, TimeProvider time) : base(Kind, entityId, ConsoleSecurityState.Empty, ActorRefs.Nobody, time) { }

    public static Props Props(string entityId, TimeProvider time) => Akka.Actor.Props.Create(() => new ConsoleSecurityEntity(entityId, time));

    protected override ConsoleSecurityState Apply(ConsoleSecurityState state, IDomainEvent e) => state;

    protected override Decision Decide(ConsoleSecurityState state, IConsoleSecurityMessage message, DateTimeOffset now) => state.Decide(message, now);

    protected override IWireMessage StateReply(ConsoleSecurityState state) => ConsoleSecurityReply.Instance;

    protected override IWireMessage CatalogUpsert(ConsoleSecurityState state, long sequenceNr) => ConsoleSecurityReply.Instance;
}

/// <summary>What the console notes: failed sign-ins, wrong or replayed codes, throttled tries, wrong set-up secrets,
/// sign-ins. Never the secret itself.</summary>
public static class SecurityKinds
{
    public const string FailedSignIn = "failed sign-in(s)";
    public const string WrongCode = "wrong two-factor code(s)";
    public const string ReplayedCode = "replayed two-factor code(s)";
    public const string Throttled = "throttled attempt(s)";
    public const string WrongSetupSecret = "wrong ADMIN_SECRET(s)";
    public const string SignedIn = "sign-in(s)";
    public const string Disabled = "sign-in(s) of a disabled account";
}

/// <summary>
/// The console's security events on this node, summed per (kind, account, address) and written to the audit trail
/// once a minute (docs/console.md, "Audit"): a flood of wrong passwords costs one entry per period, at most
/// <see cref="MaxEntries"/> lines of it, the rest counted. Pending counts are written when the node stops.
/// </summary>
public sealed class ConsoleSecurityLog(IServiceProvider services, TimeProvider time) : BackgroundService
{
    public const int MaxEntries = 100;
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly Lock _sync = new();
    private Dictionary<(string Kind, string Account, string Address), SecurityTally> _tallies = [];
    private int _others;

    public void Note(string kind, string account, string address)
    {
        var now = time.GetUtcNow();
        account = account.Length > 254 ? account[..254] : account;
        lock (_sync)
        {
            var key = (kind, account, address);
            if (_tallies.TryGetValue(key, out var tally)) _tallies[key] = tally with { Count = tally.Count + 1, Last = now };
            else if (_tallies.Count < MaxEntries) _tallies[key] = new SecurityTally(kind, account, address, 1, now, now);
            else _others++;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Flush();
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is pending goes below.
        }
        Flush();
    }

    /// <summary>Writes what is pending (the entity persists it; fire and forget).</summary>
    public void Flush()
    {
        if (Take() is not { } pending) return;
        // Resolved when first needed: hosted services are all built before the actor system runs.
        var registry = services.GetRequiredService<Akka.Hosting.ActorRegistry>();
        registry.Get<ConsoleSecurityEntity>().Tell(pending, ActorRefs.NoSender);
    }

    /// <summary>What is pending, as the entity's command (emptied); null when nothing is.</summary>
    internal RecordConsoleSecurity? Take()
    {
        lock (_sync)
        {
            if (_tallies.Count == 0) return null;
            var command = new RecordConsoleSecurity(ConsoleSecurityState.Id, [.. _tallies.Values.OrderBy(t => t.First)], _others, "console");
            (_tallies, _others) = ([], 0);
            return command;
        }
    }
}
