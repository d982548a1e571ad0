using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Catalog;

/// <summary>An entity's full state after it persisted up to <see cref="SequenceNr"/>; sent to the catalog
/// before the entity replies, so listings read the caller's own writes.</summary>
public interface ICatalogUpsert : IWireMessage
{
    string PersistenceId { get; }
    long SequenceNr { get; }
}

public sealed record UserUpserted(string PersistenceId, long SequenceNr, UserState State) : ICatalogUpsert;
public sealed record RegistrationUpserted(string PersistenceId, long SequenceNr, RegistrationState State) : ICatalogUpsert;
public sealed record AuthTokenUpserted(string PersistenceId, long SequenceNr, AuthTokenState State) : ICatalogUpsert;
public sealed record TunnelUpserted(string PersistenceId, long SequenceNr, TunnelState State) : ICatalogUpsert;
public sealed record PortUpserted(string PersistenceId, long SequenceNr, PortLeaseState State) : ICatalogUpsert;
public sealed record DomainUpserted(string PersistenceId, long SequenceNr, Domains.DomainState State) : ICatalogUpsert;
public sealed record ApiKeyUpserted(string PersistenceId, long SequenceNr, ApiKeyState State) : ICatalogUpsert;

public sealed record CatalogAck : IWireMessage
{
    public static readonly CatalogAck Instance = new();
}

// Listings, in pages: Offset entries skipped, at most Limit answered (0: all). Across nodes, every answer must fit one
// remoting message, so the operations ask in pages (AdminOperations.CatalogAllAsync); the order is the catalog's (by
// creation, domains by name, leases by port).
public sealed record ListUsers(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record ListRegistrations(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record ListAuthTokens(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record ListTunnels(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record ListPortLeases(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record FindFreePorts(int Begin, int End, int Count) : IWireMessage;
public sealed record ListDomains(int Offset = 0, int Limit = 0) : IWireMessage;
public sealed record ListApiKeys(int Offset = 0, int Limit = 0) : IWireMessage;
/// <summary>Every user with a monthly bandwidth cap, with its active tunnels, as of <paramref name="Now"/>.</summary>
public sealed record FindCappedUsers(DateTimeOffset Now) : IWireMessage;
public sealed record CappedUsers(ImmutableList<CappedUser> Users) : IWireMessage;

/// <param name="Tunnels">Each active tunnel of the user, with the bytes its own state counted this month (a journal
/// written before traffic history had its table; 0 otherwise).</param>
public sealed record CappedUser(string UserId, long MonthlyBytes, ImmutableDictionary<string, long> Tunnels) : IWireMessage
{
    /// <summary>Whether the user's tunnels relayed its cap, given what the traffic history recorded this month per tunnel.</summary>
    public bool IsOver(IReadOnlyDictionary<string, long> recordedThisMonth) =>
        Tunnels.Sum(t => t.Value + recordedThisMonth.GetValueOrDefault(t.Key)) >= MonthlyBytes;
}

public sealed record UserList(ImmutableList<UserState> Users) : IWireMessage;
public sealed record RegistrationList(ImmutableList<RegistrationState> Registrations) : IWireMessage;
public sealed record AuthTokenList(ImmutableList<AuthTokenState> Tokens) : IWireMessage;
public sealed record TunnelList(ImmutableList<TunnelState> Tunnels) : IWireMessage;
public sealed record PortLeaseList(ImmutableList<PortLeaseState> Leases) : IWireMessage;
public sealed record FreePorts(ImmutableList<int> Ports) : IWireMessage;
public sealed record DomainList(ImmutableList<Domains.DomainState> Domains) : IWireMessage;
public sealed record ApiKeyList(ImmutableList<ApiKeyState> Keys) : IWireMessage;
