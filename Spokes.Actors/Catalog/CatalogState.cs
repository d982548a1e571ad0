using System.Collections.Immutable;
using Spokes.Actors.Domains;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Catalog;

/// <summary>
/// The read side: the latest state of every entity, kept by persistence id with the sequence number it
/// reflects, so direct upserts and events replayed from the journal can arrive in any order.
/// </summary>
public sealed class CatalogState
{
    private readonly Dictionary<string, Versioned<UserState>> _users = new();
    private readonly Dictionary<string, Versioned<RegistrationState>> _registrations = new();
    private readonly Dictionary<string, Versioned<AuthTokenState>> _tokens = new();
    private readonly Dictionary<string, Versioned<TunnelState>> _tunnels = new();
    private readonly Dictionary<string, Versioned<PortLeaseState>> _ports = new();
    private readonly Dictionary<string, Versioned<DomainState>> _domains = new();
    private readonly Dictionary<string, Versioned<ApiKeyState>> _apiKeys = new();

    private readonly record struct Versioned<T>(long SequenceNr, T State);

    /// <summary>Domains that active tunnels cache in their rules but whose Domain entity has no owner: claims made
    /// before domains had an entity of their own, adopted by their tunnel once at start.</summary>
    public IEnumerable<(string Domain, string TunnelId)> UnadoptedClaims()
    {
        var owned = _domains.Values.Where(v => v.State.Owned).Select(v => v.State.Domain).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return _tunnels.Values.Select(v => v.State).Where(t => t.IsActive)
            .SelectMany(t => t.HttpRules.Select(r => (Domain: r.Domain, TunnelId: t.Id)))
            .Where(x => !owned.Contains(x.Domain))
            .DistinctBy(x => x.Domain, StringComparer.OrdinalIgnoreCase);
    }

    public void Upsert(ICatalogUpsert upsert)
    {
        switch (upsert)
        {
            case UserUpserted u: Put(_users, u.PersistenceId, u.SequenceNr, u.State); break;
            case RegistrationUpserted r: Put(_registrations, r.PersistenceId, r.SequenceNr, r.State); break;
            case AuthTokenUpserted t: Put(_tokens, t.PersistenceId, t.SequenceNr, t.State); break;
            case TunnelUpserted t: Put(_tunnels, t.PersistenceId, t.SequenceNr, t.State); break;
            case PortUpserted p: Put(_ports, p.PersistenceId, p.SequenceNr, p.State); break;
            case DomainUpserted d: Put(_domains, d.PersistenceId, d.SequenceNr, d.State); break;
            case ApiKeyUpserted k: Put(_apiKeys, k.PersistenceId, k.SequenceNr, k.State); break;
        }
    }

    /// <summary>Applies one journal event to the entity it belongs to (by persistence id prefix).</summary>
    public void ApplyEvent(string persistenceId, long sequenceNr, IDomainEvent e)
    {
        var dash = persistenceId.IndexOf('-');
        switch (dash < 0 ? "" : persistenceId[..dash])
        {
            case UserEntity.Kind: Step(_users, persistenceId, sequenceNr, UserState.Empty, s => s.Apply(e)); break;
            case RegistrationEntity.Kind: Step(_registrations, persistenceId, sequenceNr, RegistrationState.Empty, s => s.Apply(e)); break;
            case AuthTokenEntity.Kind: Step(_tokens, persistenceId, sequenceNr, AuthTokenState.Empty, s => s.Apply(e)); break;
            case TunnelEntity.Kind: Step(_tunnels, persistenceId, sequenceNr, TunnelState.Empty, s => s.Apply(e)); break;
            case PortLeaseEntity.Kind: Step(_ports, persistenceId, sequenceNr, PortLeaseState.Empty, s => s.Apply(e)); break;
            case DomainEntity.Kind: Step(_domains, persistenceId, sequenceNr, DomainState.Empty, s => s.Apply(e)); break;
            case ApiKeyEntity.Kind: Step(_apiKeys, persistenceId, sequenceNr, ApiKeyState.Empty, s => s.Apply(e)); break;
        }
    }

    private static void Put<T>(Dictionary<string, Versioned<T>> map, string id, long seq, T state)
    {
        if (!map.TryGetValue(id, out var current) || current.SequenceNr < seq)
            map[id] = new Versioned<T>(seq, state);
    }

    private static void Step<T>(Dictionary<string, Versioned<T>> map, string id, long seq, T empty, Func<T, T> apply)
    {
        var current = map.TryGetValue(id, out var v) ? v : new Versioned<T>(0, empty);
        // Events arrive in order per persistence id; one we already reflect (or a gap) is skipped.
        if (seq != current.SequenceNr + 1) return;
        map[id] = new Versioned<T>(seq, apply(current.State));
    }

    public ImmutableList<UserState> Users => _users.Values.Select(v => v.State).Where(s => s.Exists)
        .OrderBy(s => s.Created).ToImmutableList();
    public ImmutableList<RegistrationState> Registrations => _registrations.Values.Select(v => v.State)
        .Where(s => s.Exists).OrderBy(s => s.Created).ToImmutableList();
    public ImmutableList<AuthTokenState> Tokens => _tokens.Values.Select(v => v.State).Where(s => s.Exists)
        .OrderBy(s => s.Created).ToImmutableList();
    public ImmutableList<TunnelState> Tunnels => _tunnels.Values.Select(v => v.State).Where(s => s.Exists)
        .OrderBy(s => s.Created).ToImmutableList();
    public ImmutableList<ApiKeyState> ApiKeys => _apiKeys.Values.Select(v => v.State).Where(s => s.Exists)
        .OrderBy(s => s.Created).ToImmutableList();
    public ImmutableList<DomainState> Domains => _domains.Values.Select(v => v.State).Where(s => s.Owned)
        .OrderBy(s => s.Domain, StringComparer.Ordinal).ToImmutableList();
    public ImmutableList<PortLeaseState> Leases => _ports.Values.Select(v => v.State).Where(s => s.Leased)
        .OrderBy(s => s.Port).ToImmutableList();

    /// <summary>Every user with a monthly bandwidth cap and its active tunnels.</summary>
    public ImmutableList<CappedUser> CappedUsers(DateTimeOffset now)
    {
        var capped = _users.Values.Select(v => v.State).Where(u => u.Quota.MonthlyBytes is not null).ToList();
        if (capped.Count == 0) return [];
        var tunnels = _tunnels.Values.Select(v => v.State).Where(t => t.IsActive && t.UserId is not null).ToLookup(t => t.UserId!);
        return capped.Select(u => new CappedUser(u.Id, u.Quota.MonthlyBytes!.Value,
            tunnels[u.Id].ToImmutableDictionary(t => t.Id, t => t.MonthlyAt(now)))).ToImmutableList();
    }

    /// <summary>Up to <paramref name="count"/> free ports of the range, in random order so that
    /// concurrent allocations on several nodes rarely race for the same port.</summary>
    public ImmutableList<int> FreePorts(int begin, int end, int count, Random random)
    {
        var used = _ports.Values.Where(v => v.State.Leased).Select(v => v.State.Port).ToHashSet();
        var size = end - begin + 1;
        if (size <= 0) return [];
        var result = ImmutableList.CreateBuilder<int>();
        var start = random.Next(size);
        for (var i = 0; i < size && result.Count < count; i++)
        {
            var port = begin + (start + i) % size;
            if (!used.Contains(port)) result.Add(port);
        }
        return result.ToImmutable();
    }
}
