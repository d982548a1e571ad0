using System.Collections.Immutable;
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

    private readonly Dictionary<string, string> _pendingClaims = new(StringComparer.OrdinalIgnoreCase);

    private readonly record struct Versioned<T>(long SequenceNr, T State);

    /// <summary>The active tunnel other than <paramref name="tunnelId"/> that holds <paramref name="domain"/>
    /// (cached rules or a claim not yet persisted), or null when the domain is free for it.</summary>
    public string? DomainOwner(string domain, string tunnelId)
    {
        if (_pendingClaims.TryGetValue(domain, out var pending) && pending != tunnelId) return pending;
        return _tunnels.Values.Select(v => v.State)
            .FirstOrDefault(t => t.IsActive && t.Id != tunnelId &&
                                 t.HttpRules.Any(r => string.Equals(r.Domain, domain, StringComparison.OrdinalIgnoreCase)))?.Id;
    }

    public void Claim(string domain, string tunnelId) => _pendingClaims[domain] = tunnelId;

    public void Release(string domain, string tunnelId)
    {
        if (_pendingClaims.TryGetValue(domain, out var owner) && owner == tunnelId) _pendingClaims.Remove(domain);
    }

    public void Upsert(ICatalogUpsert upsert)
    {
        switch (upsert)
        {
            case UserUpserted u: Put(_users, u.PersistenceId, u.SequenceNr, u.State); break;
            case RegistrationUpserted r: Put(_registrations, r.PersistenceId, r.SequenceNr, r.State); break;
            case AuthTokenUpserted t: Put(_tokens, t.PersistenceId, t.SequenceNr, t.State); break;
            case TunnelUpserted t:
                Put(_tunnels, t.PersistenceId, t.SequenceNr, t.State);
                // Once persisted in the tunnel's rules (or dropped from them), a claim is no longer pending.
                foreach (var domain in _pendingClaims.Where(c => c.Value == t.State.Id).Select(c => c.Key).ToList())
                    _pendingClaims.Remove(domain);
                break;
            case PortUpserted p: Put(_ports, p.PersistenceId, p.SequenceNr, p.State); break;
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
    public ImmutableList<PortLeaseState> Leases => _ports.Values.Select(v => v.State).Where(s => s.Leased)
        .OrderBy(s => s.Port).ToImmutableList();

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
