using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Access;

public interface IConsoleSessionMessage : IEntityMessage;

/// <summary>A sign-in completed: the console's new session (its id goes into the cookie).
/// <paramref name="Stamp"/> is the user's security stamp at sign-in: a later stamp (password, 2FA, "sign out everywhere")
/// leaves the session dead, and lists leave it out.</summary>
public sealed record StartConsoleSession(string EntityId, string SessionId, int Stamp, string Address, string Agent, string By) : IConsoleSessionMessage;
/// <summary>The session was used: kept in memory only (docs/console.md, "Sessions"), never journaled.</summary>
public sealed record TouchConsoleSession(string EntityId, string SessionId) : IConsoleSessionMessage;
/// <summary>Ends one session (signing out, revoked on the Account page); an unknown or ended one: nothing to do.</summary>
public sealed record EndConsoleSession(string EntityId, string SessionId, string Reason, string By) : IConsoleSessionMessage;
public sealed record GetConsoleSessions(string EntityId) : IConsoleSessionMessage;

/// <summary>One open console session: where it signed in from, with what browser, and when it was last used.</summary>
public sealed record ConsoleSession(string Id, DateTimeOffset Started, string Address, string Agent, DateTimeOffset LastSeen, int Stamp = 0)
    : IWireMessage;

/// <param name="LastSignIn">The newest sign-in, open or ended since (its address and time), or null if none.</param>
public sealed record ConsoleSessionsReply(ImmutableList<ConsoleSession> Sessions, ConsoleSession? LastSignIn = null) : IWireMessage;

public sealed record ConsoleSessionStarted(string SessionId, string Address, string Agent, DateTimeOffset At, string By, int Stamp = 0) : IDomainEvent
{
    public string Describe() => $"console session {ConsoleSessionsState.Short(SessionId)} started from {Address}";
}

public sealed record ConsoleSessionEnded(string SessionId, string Reason, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"console session {ConsoleSessionsState.Short(SessionId)} ended ({Reason})";
}

/// <summary>
/// One admin's open console sessions (entity id: the user's id). A session exists from sign-in until it is signed out
/// or revoked; sessions older than <see cref="MaxAge"/> are dropped, and at most <see cref="MaxSessions"/> are kept
/// (a new sign-in drops the oldest). Lifetime and idle limits are the validator's (config keys).
/// </summary>
public sealed record ConsoleSessionsState : IWireMessage
{
    public const int MaxSessions = 32;
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);
    public static readonly ConsoleSessionsState Empty = new();

    public ImmutableDictionary<string, ConsoleSession> Sessions { get; init; } = ImmutableDictionary<string, ConsoleSession>.Empty;
    /// <summary>The newest sign-in, kept when its session ends ("last sign-in" on the Users page).</summary>
    public ConsoleSession? LastSignIn { get; init; }

    public static string Short(string sessionId) => sessionId.Length <= 8 ? sessionId : sessionId[..8];

    public Decision Decide(IConsoleSessionMessage command, DateTimeOffset now) => command switch
    {
        GetConsoleSessions => Decision.Answer(),
        StartConsoleSession s when s.SessionId.Length is < 16 or > 64 => Decision.Refuse(ErrorCode.Invalid, "bad session id"),
        StartConsoleSession s when Sessions.ContainsKey(s.SessionId) => Decision.Answer(),
        StartConsoleSession s => Decision.Persist(new ConsoleSessionStarted(s.SessionId, Clip(s.Address, 64), Clip(s.Agent, 160), now, s.By, s.Stamp)),
        EndConsoleSession e when !Sessions.ContainsKey(e.SessionId) => Decision.Answer(),
        EndConsoleSession e => Decision.Persist(new ConsoleSessionEnded(e.SessionId, Clip(e.Reason, 80), now, e.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public ConsoleSessionsState Apply(IDomainEvent e) => e switch
    {
        ConsoleSessionStarted s => this with
        {
            Sessions = Sessions.Values.Where(x => s.At - x.Started < MaxAge).OrderByDescending(x => x.Started).Take(MaxSessions - 1)
                .Append(new ConsoleSession(s.SessionId, s.At, s.Address, s.Agent, s.At, s.Stamp))
                .ToImmutableDictionary(x => x.Id),
            LastSignIn = new ConsoleSession(s.SessionId, s.At, s.Address, s.Agent, s.At, s.Stamp),
        },
        ConsoleSessionEnded x => this with { Sessions = Sessions.Remove(x.SessionId) },
        _ => this,
    };

    private static string Clip(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>The console sessions of one admin. Last use is held in memory (a touch per request would flood the
/// journal): after the entity moves to another node it counts from the move.</summary>
public sealed class ConsoleSessionsEntity : EntityActor<ConsoleSessionsState, IConsoleSessionMessage>
{
    public const string Kind = "console-sessions";
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new();
    private readonly DateTimeOffset _since;

    public ConsoleSessionsEntity(string entityId, TimeProvider time)
        : base(Kind, entityId, ConsoleSessionsState.Empty, ActorRefs.Nobody, time) => _since = time.GetUtcNow();

    public static Props Props(string entityId, TimeProvider time) => Akka.Actor.Props.Create(() => new ConsoleSessionsEntity(entityId, time));

    protected override void Handle(IConsoleSessionMessage message)
    {
        if (message is not TouchConsoleSession touch)
        {
            base.Handle(message);
            return;
        }
        if (State.Sessions.ContainsKey(touch.SessionId)) _lastSeen[touch.SessionId] = Time.GetUtcNow();
        Sender.Tell(StateReply(State));
    }

    protected override ConsoleSessionsState Apply(ConsoleSessionsState state, IDomainEvent e) => state.Apply(e);

    protected override Decision Decide(ConsoleSessionsState state, IConsoleSessionMessage message, DateTimeOffset now) => state.Decide(message, now);

    protected override IWireMessage StateReply(ConsoleSessionsState state)
    {
        foreach (var gone in _lastSeen.Keys.Where(k => !state.Sessions.ContainsKey(k)).ToList()) _lastSeen.Remove(gone);
        return new ConsoleSessionsReply(state.Sessions.Values
            .Select(s => s with { LastSeen = Max(s.Started, _lastSeen.TryGetValue(s.Id, out var seen) ? seen : _since) })
            .OrderByDescending(s => s.Started).ToImmutableList(), state.LastSignIn);
    }

    protected override IWireMessage CatalogUpsert(ConsoleSessionsState state, long sequenceNr) => StateReply(state);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>The console's view of its sessions, cluster-wide (one entity per admin).</summary>
public interface IConsoleSessions
{
    /// <summary>A new session for <paramref name="userId"/>; its id, for the cookie.</summary>
    Task<string> StartAsync(string userId, int stamp, string address, string agent, string by);

    /// <summary>The user's open sessions, newest first; null when the cluster did not answer.</summary>
    Task<ImmutableList<ConsoleSession>?> ListAsync(string userId);

    /// <summary>The user's newest sign-in (open or ended); null when there was none or the cluster did not answer.</summary>
    Task<ConsoleSession?> LastSignInAsync(string userId);

    /// <summary>Notes a use (fire and forget).</summary>
    void Touch(string userId, string sessionId);

    Task EndAsync(string userId, string sessionId, string reason, string by);
}

public sealed class ConsoleSessions(IActorRef entities, ILoggingAdapter log) : IConsoleSessions
{
    // A sign-in or sign-out waits for its session entity; on two busy cores a freshly started shard took longer than 5 s.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public async Task<string> StartAsync(string userId, int stamp, string address, string agent, string by)
    {
        var id = SecretValues.NewToken();
        await entities.Ask<ConsoleSessionsReply>(new StartConsoleSession(userId, id, stamp, address, agent, by), AskTimeout);
        return id;
    }

    public async Task<ImmutableList<ConsoleSession>?> ListAsync(string userId)
    {
        var reply = await GetAsync(userId);
        if (reply is null) log.Warning("console sessions of a user did not answer in time; the request is refused");
        return reply?.Sessions;
    }

    public async Task<ConsoleSession?> LastSignInAsync(string userId) => (await GetAsync(userId))?.LastSignIn;

    /// <summary>The user's sessions entity's answer; null when it did not answer in time.</summary>
    private async Task<ConsoleSessionsReply?> GetAsync(string userId)
    {
        try
        {
            return await entities.Ask<ConsoleSessionsReply>(new GetConsoleSessions(userId), AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    public void Touch(string userId, string sessionId) => entities.Tell(new TouchConsoleSession(userId, sessionId), ActorRefs.NoSender);

    public Task EndAsync(string userId, string sessionId, string reason, string by) =>
        entities.Ask<ConsoleSessionsReply>(new EndConsoleSession(userId, sessionId, reason, by), AskTimeout);
}
