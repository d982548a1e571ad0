using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;

using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>
/// One per node: mirrors the cluster's pending http-01 answers (a replicated map, written to every node before
/// the ACME client asks the CA to validate) into this node's <see cref="AcmeChallengeStore"/>, so the CA's
/// request is answered by whichever node the domain's address leads it to.
/// </summary>
public sealed class AcmeChallengeReplica : ReceiveActor
{
    public static readonly LWWDictionaryKey<string, string> Key = new("spokes-acme-challenges");
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);
    private HashSet<string> _replicated = [];

    public AcmeChallengeReplica(AcmeChallengeStore store)
    {
        var replicator = DistributedData.Get(Context.System).Replicator;
        var cluster = Cluster.Get(Context.System);
        Receive<Publish>(p => replicator.Tell(Dsl.Update(Key, LWWDictionary<string, string>.Empty, new WriteAll(WriteTimeout), Sender,
            d => p.Answer is null ? d.Remove(cluster, p.Token) : d.SetItem(cluster, p.Token, p.Answer))));
        Receive<Changed>(c =>
        {
            // Tokens that left the map are withdrawn; a token only this node holds so far (being published) stays.
            var answers = c.Get(Key).Entries;
            foreach (var token in _replicated.Where(t => !answers.ContainsKey(t))) store.Remove(token);
            foreach (var (token, answer) in answers) store.Add(token, answer);
            _replicated = [.. answers.Keys];
        });
        // Written to every reachable node, or not (one unreachable): the answer goes on either way.
        Receive<UpdateSuccess>(u => (u.Request as IActorRef)?.Tell(Written.Instance));
        Receive<IUpdateFailure>(f => (f.Request as IActorRef)?.Tell(Written.Instance));
        replicator.Tell(Dsl.Subscribe(Key, Self));
        var self = Self;
        store.Replicate = (token, answer) => self.Ask<Written>(new Publish(token, answer), WriteTimeout + TimeSpan.FromSeconds(1));
    }

    public static Props Props(AcmeChallengeStore store) => Akka.Actor.Props.Create(() => new AcmeChallengeReplica(store));

    private sealed record Publish(string Token, string? Answer);

    private sealed class Written
    {
        public static readonly Written Instance = new();
    }
}
