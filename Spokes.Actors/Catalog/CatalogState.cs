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
    private readonly Table<UserState> _users = new(s => s.Exists, OrderedView<UserState>.By(s => s.Created, s => s.Id));
    private readonly Table<RegistrationState> _registrations = new(s => s.Exists, OrderedView<RegistrationState>.By(s => s.Created, s => s.Id));
    private readonly Table<AuthTokenState> _tokens = new(s => s.Exists, OrderedView<AuthTokenState>.By(s => s.Created, s => s.Id));
    private readonly Table<TunnelState> _tunnels = new(s => s.Exists, OrderedView<TunnelState>.By(s => s.Created, s => s.Id));
    private readonly Table<PortLeaseState> _ports = new(s => s.Leased, OrderedView<PortLeaseState>.By(s => s.Port, _ => ""));
    private readonly Table<DomainState> _domains = new(s => s.Owned,
        Comparer<DomainState>.Create((a, b) => string.CompareOrdinal(a.Domain, b.Domain)));
    private readonly Table<ApiKeyState> _apiKeys = new(s => s.Exists, OrderedView<ApiKeyState>.By(s => s.Created, s => s.Id));

    private readonly record struct Versioned<T>(long SequenceNr, T State);

    /// <summary>One entity kind: the latest state by persistence id, and the listed ones in listing order.</summary>
    private sealed class Table<T>(Func<T, bool> listed, IComparer<T> order) where T : class
    {
        private readonly Dictionary<string, Versioned<T>> _byId = new();
        public OrderedView<T> View { get; } = new(listed, order);
        public IEnumerable<T> States => _byId.Values.Select(v => v.State);

        public bool TryGet(string id, out Versioned<T> current) => _byId.TryGetValue(id, out current);

        public void Set(string id, Versioned<T> next)
        {
            View.Replace(_byId.TryGetValue(id, out var before) ? before.State : null, next.State);
            _byId[id] = next;
        }
    }

    /// <summary>Domains that active tunnels cache in their rules but whose Domain entity has no owner: claims made
    /// before domains had an entity of their own, adopted by their tunnel once at start.</summary>
    public IEnumerable<(string Domain, string TunnelId)> UnadoptedClaims()
    {
        var owned = _domains.View.Items.Select(d => d.Domain).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return _tunnels.View.Items.Where(t => t.IsActive)
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

    private static void Put<T>(Table<T> table, string id, long seq, T state) where T : class
    {
        if (!table.TryGet(id, out var current) || current.SequenceNr < seq)
            table.Set(id, new Versioned<T>(seq, state));
    }

    private static void Step<T>(Table<T> table, string id, long seq, T empty, Func<T, T> apply) where T : class
    {
        var current = table.TryGet(id, out var v) ? v : new Versioned<T>(0, empty);
        // Events arrive in order per persistence id; one we already reflect (or a gap) is skipped.
        if (seq != current.SequenceNr + 1) return;
        table.Set(id, new Versioned<T>(seq, apply(current.State)));
    }

    // The listings, each in its order (users, tokens, tunnels… by creation; domains by name; leases by port).
    public ImmutableList<UserState> Users => _users.View.Items;
    public ImmutableList<RegistrationState> Registrations => _registrations.View.Items;
    public ImmutableList<AuthTokenState> Tokens => _tokens.View.Items;
    public ImmutableList<TunnelState> Tunnels => _tunnels.View.Items;
    public ImmutableList<ApiKeyState> ApiKeys => _apiKeys.View.Items;
    public ImmutableList<DomainState> Domains => _domains.View.Items;
    public ImmutableList<PortLeaseState> Leases => _ports.View.Items;

    /// <summary>Every user with a monthly bandwidth cap and its active tunnels.</summary>
    public ImmutableList<CappedUser> CappedUsers(DateTimeOffset now)
    {
        var capped = _users.States.Where(u => u.Quota.MonthlyBytes is not null).ToList();
        if (capped.Count == 0) return [];
        var tunnels = _tunnels.States.Where(t => t.IsActive && t.UserId is not null).ToLookup(t => t.UserId!);
        return capped.Select(u => new CappedUser(u.Id, u.Quota.MonthlyBytes!.Value,
            tunnels[u.Id].ToImmutableDictionary(t => t.Id, t => t.MonthlyAt(now)))).ToImmutableList();
    }

    /// <summary>Up to <paramref name="count"/> free ports of the range, in random order so that
    /// concurrent allocations on several nodes rarely race for the same port.</summary>
    public ImmutableList<int> FreePorts(int begin, int end, int count, Random random)
    {
        var used = _ports.View.Items.Select(p => p.Port).ToHashSet();
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
