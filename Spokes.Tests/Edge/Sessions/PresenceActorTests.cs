using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData;
using Spokes.Actors.Gateway;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Xunit.Abstractions;

namespace Spokes.Tests.Edge.Sessions;

/// <summary>The presence actor on a one-node cluster (loopback, port chosen by the system) with its real replicator.</summary>
public sealed class PresenceActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, "presence", output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.distributed-data.notify-subscribers-interval = 2s
        """);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OwnLink_RemovedFromTheReplicatedMapByAnotherWriter_IsWrittenAgain()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var routes = new RouteTableSource();
        var presence = Sys.ActorOf(PresenceActor.Props(routes), "presence");
        var replicator = DistributedData.Get(Sys).Replicator;
        var now = DateTimeOffset.UtcNow;
        var link = new LinkPresence("t1", "s1", PresenceActor.NodeName(cluster.SelfAddress), "", "127.0.0.1", now, "hash", now, 1);

        presence.Tell(new PutLink(link));
        ExpectMsg<PresenceAck>(Bound);
        Assert.True(routes.Current.Sessions.ContainsKey("s1"));

        // What a peer's late removal of this address's previous incarnation amounts to.
        replicator.Tell(Dsl.Update(PresenceActor.LinksKey, LWWDictionary<string, LinkPresence>.Empty, WriteLocal.Instance,
            d => d.Remove(cluster, link.Key)));
        ExpectMsg<UpdateSuccess>(Bound);
        replicator.Tell(Dsl.Get(PresenceActor.LinksKey, ReadLocal.Instance));
        Assert.False(ExpectMsg<GetSuccess>(Bound).Get(PresenceActor.LinksKey).ContainsKey(link.Key));

        await AwaitAssertAsync(() =>
        {
            replicator.Tell(Dsl.Get(PresenceActor.LinksKey, ReadLocal.Instance));
            var links = ExpectMsg<GetSuccess>(Bound).Get(PresenceActor.LinksKey);
            Assert.True(links.TryGetValue(link.Key, out var again) && again.SessionId == "s1");
        }, Bound, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task OwnLink_RemovedByItsSession_StaysRemoved()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var routes = new RouteTableSource();
        var presence = Sys.ActorOf(PresenceActor.Props(routes), "presence");
        var now = DateTimeOffset.UtcNow;
        var link = new LinkPresence("t2", "s2", PresenceActor.NodeName(cluster.SelfAddress), "", "127.0.0.1", now, "hash", now, 1);

        presence.Tell(new PutLink(link));
        ExpectMsg<PresenceAck>(Bound);
        presence.Tell(new RemoveLink("t2", "s2"));
        ExpectMsg<PresenceAck>(Bound);
        Assert.False(routes.Current.Sessions.ContainsKey("s2"));
        // Past a change notification: nothing writes it back.
        var replicator = DistributedData.Get(Sys).Replicator;
        replicator.Tell(Dsl.Subscribe(PresenceActor.LinksKey, TestActor));
        var changed = ExpectMsg<Changed>(Bound);
        Assert.False(changed.Get(PresenceActor.LinksKey).ContainsKey(link.Key));
    }
}
