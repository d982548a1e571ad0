using System.Collections.Frozen;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Spokes.Actors.Security;

namespace Spokes.Actors.Tokens;

/// <summary>What any node needs to check an agent's key without its AuthToken entity: a digest of the key, the
/// tunnel, and whether it may connect. Replicated cluster-wide (in memory; the entity stays the truth).</summary>
public sealed record AgentCredential(string Verifier, string TunnelId, bool Active) : Entities.IWireMessage;

/// <summary>
/// The replicated copy of agents' credentials, read lock-free. Authentication asks the AuthToken entity first;
/// only when the entity does not answer in time — its shard was on a node that just died and has not been
/// handed over yet — is the agent admitted from here, so a reconnecting agent never waits for the split brain
/// resolver. Filled on every successful authentication; a revocation or shutdown marks the entry inactive on a
/// majority of nodes before it is acknowledged.
/// </summary>
public sealed class AgentCredentials
{
    private FrozenDictionary<string, AgentCredential> _current = FrozenDictionary<string, AgentCredential>.Empty;
    private IActorRef _replica = ActorRefs.Nobody;

    public AgentCredential? Find(string tokenId) => Volatile.Read(ref _current).GetValueOrDefault(tokenId);

    /// <summary>True when <paramref name="key"/> is the active key of <paramref name="tokenId"/> as replicated.</summary>
    public bool Admits(string tokenId, string key, out AgentCredential credential)
    {
        credential = Find(tokenId)!;
        return credential is { Active: true } && SecretValues.FixedTimeEquals(credential.Verifier, SecretValues.Digest(key));
    }

    public void Remember(string tokenId, string key, string tunnelId)
    {
        var entry = new AgentCredential(SecretValues.Digest(key), tunnelId, true);
        if (Find(tokenId) != entry) _replica.Tell(new Put(tokenId, entry, Urgent: false));
    }

    /// <summary>Marks the token inactive on a majority of nodes; completes when they have it (or after 3 s).</summary>
    public Task ForgetAsync(string tokenId)
    {
        if (Find(tokenId) is not { Active: true } known) return Task.CompletedTask;
        return _replica.Ask<Written>(new Put(tokenId, known with { Active = false }, Urgent: true), TimeSpan.FromSeconds(4));
    }

    internal void Attach(IActorRef replica) => _replica = replica;

    internal void Replace(FrozenDictionary<string, AgentCredential> entries) => Volatile.Write(ref _current, entries);

    internal sealed record Put(string TokenId, AgentCredential Entry, bool Urgent);

    internal sealed record Written
    {
        public static readonly Written Instance = new();
    }
}

/// <summary>One per node: this node's replica of <see cref="AgentCredentials"/>.</summary>
public sealed class AgentCredentialsReplica : ReceiveActor
{
    public static readonly LWWDictionaryKey<string, AgentCredential> Key = new("spokes-credentials");

    public AgentCredentialsReplica(AgentCredentials credentials)
    {
        var replicator = DistributedData.Get(Context.System).Replicator;
        var cluster = Cluster.Get(Context.System);
        Receive<AgentCredentials.Put>(p =>
        {
            IWriteConsistency consistency = p.Urgent ? new WriteMajority(TimeSpan.FromSeconds(3)) : WriteLocal.Instance;
            replicator.Tell(Dsl.Update(Key, LWWDictionary<string, AgentCredential>.Empty, consistency, Sender,
                d => d.SetItem(cluster, p.TokenId, p.Entry)));
        });
        Receive<Changed>(c => credentials.Replace(c.Get(Key).Entries.ToFrozenDictionary()));
        Receive<UpdateSuccess>(u => (u.Request as IActorRef)?.Tell(AgentCredentials.Written.Instance));
        Receive<IUpdateFailure>(f => (f.Request as IActorRef)?.Tell(AgentCredentials.Written.Instance));
        replicator.Tell(Dsl.Subscribe(Key, Self));
        credentials.Attach(Self);
    }

    public static Props Props(AgentCredentials credentials) => Akka.Actor.Props.Create(() => new AgentCredentialsReplica(credentials));
}
