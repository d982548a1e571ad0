using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Store;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sessions;
using Spokes.Tests.Tunnel;
using Spokes.Tunnel.Control;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Gateway;

/// <summary>Timeouts of the operations API: a step that does not answer is named, a request's steps together never
/// outlast its deadline, and a rule push is given only what is left of it (docs/internals.md, "Timeouts").</summary>
public sealed class OperationTimeoutsTests : Akka.TestKit.Xunit2.TestKit
{
    public OperationTimeoutsTests(ITestOutputHelper output) : base(SpokesTestConfig.Create(), "timeouts", output)
    {
    }

    [Fact]
    public async Task Step_AnEntityThatDoesNotAnswer_IsNamedWithWhatItWasAsked()
    {
        var operations = Operations(tunnels: Silent("tunnels"), catalog: Silent("catalog"), new OperationTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20)));

        var reply = await operations.HandleAsync(new TunnelConnectionsRequest("t1", 0, 10), "test");

        var refusal = Assert.IsType<Refusal>(reply);
        Assert.Equal(ErrorCode.Unavailable, refusal.Code);
        Assert.Equal("the tunnel entity t1 did not answer GetTunnel within 1 s", refusal.Message);
    }

    [Fact]
    public async Task Deadline_ShorterThanAStep_BoundsTheStepAndNamesTheCatalog()
    {
        var pusher = new RecordingPusher();
        var operations = Operations(tunnels: Answering("tunnels"), catalog: Silent("catalog"),
            new OperationTimeouts(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)), pusher, online: "t1");
        var clock = Stopwatch.StartNew();

        var reply = await operations.HandleAsync(new TunnelRulesRequest("t1", new RuleChange(RuleAction.HttpRemove, Domain: "a.test")), "test");

        var refusal = Assert.IsType<Refusal>(reply);
        Assert.Equal(ErrorCode.Unavailable, refusal.Code);
        Assert.StartsWith("the catalog (cluster singleton) did not answer ListPortLeases within ", refusal.Message);
        // The catalog had 30 s as a step; the request's 3 s deadline cut it (generous bound for a busy machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        // The push came before it and was given what was left of the 3 s, not its own 35 s.
        Assert.InRange(pusher.Wait!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Caller_CancelsTheRequest_TheStepStopsWaiting()
    {
        var operations = Operations(tunnels: Silent("tunnels"), catalog: Silent("catalog"), new OperationTimeouts(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)));
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        var reply = await operations.HandleAsync(new TunnelConnectionsRequest("t1", 0, 10), "test", caller.Token);

        Assert.Equal(ErrorCode.Unavailable, Assert.IsType<Refusal>(reply).Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task SessionActor_AgentRequestWhoseStepsDoNotAnswer_EndsWithinItsDeadline_AndTheNextMessageIsServed()
    {
        var tunnels = Answering("tunnels");
        var operations = Operations(tunnels, catalog: Silent("catalog"), new OperationTimeouts(AdminOperations.AskTimeout, AdminOperations.RequestDeadline));
        var silent = Silent("domains");
        // The domain shards do not answer: each of three claims would wait its own 15 s step (45 s of a stalled mailbox).
        var regions = new SpokesRegions(silent, silent, silent, tunnels, silent, silent, silent, silent);
        var context = new SessionContext(regions, operations, Silent("presence"), new LocalLinks(), new RouteTableSource(),
            new EdgeIdentity("n1", "spokes.test", "127.0.0.1:1", "127.0.0.1:1"), TimeProvider.System) { RequestDeadline = TimeSpan.FromSeconds(4) };
        var (agent, node) = MuxTestPeers.Sessions(pauseThreshold: 1 << 16);
        await using var agentSession = agent;
        await using var nodeSession = node;
        var agentStream = await agent.OpenStreamAsync();
        await agentStream.Output.FlushAsync();
        var control = new ControlChannel((await node.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!);
        var link = new TunnelLink("t1", "s1", "secret", 4, "127.0.0.1", node, control);
        var session = Sys.ActorOf(TunnelSessionActor.Props(link, context, newSession: false), "session");
        var rules = new[] { "a.test", "b.test", "c.test" }.Select(d => new HttpRule { Domain = d, Destination = "127.0.0.1", HttpPort = 80 }).ToList();
        var clock = Stopwatch.StartNew();

        var outcome = await session.Ask<ControlOutcome>(new AgentRequest(new SyncRules { Http = rules, Tcp = [] }), TimeSpan.FromSeconds(60));

        Assert.False(outcome.Ok);
        Assert.Equal("the node did not decide SyncRules within 4 s (a cluster step did not answer); try again", outcome.Error);
        // One deadline for all the steps, not 15 s each (generous bound for a busy machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"took {clock.Elapsed}");
        var next = await session.Ask<ControlOutcome>(new AgentRequest(new ServiceStates { Services = [] }), TimeSpan.FromSeconds(20));
        Assert.True(next.Ok, next.Error);
    }

    private AdminOperations Operations(IActorRef tunnels, IActorRef catalog, OperationTimeouts timeouts, IRulePusher? pusher = null,
        string? online = null)
    {
        var silent = Silent("others");
        var regions = new SpokesRegions(silent, silent, silent, tunnels, silent, catalog, silent, silent);
        var options = new TunnelOptionsSource(new TunOptionsConfig(), new PortRangeConfig());
        return new AdminOperations(Sys, regions, new SecretBox(new byte[32]), options, new Presence(online),
            pusher ?? new NoRulePusher(), TimeProvider.System, new AgentCredentials())
        {
            Traffic = new TrafficStore(new DatabaseConfig(), new TrafficConfig()),
            Timeouts = timeouts,
        };
    }

    private IActorRef Silent(string name) => Sys.ActorOf(Props.Create(() => new SilentActor()), name);

    private IActorRef Answering(string name) => Sys.ActorOf(Props.Create(() => new AnsweringTunnels()), name);

    private sealed class SilentActor : ReceiveActor
    {
        public SilentActor() => ReceiveAny(_ => { });
    }

    /// <summary>A tunnel shard that answers every message with an existing tunnel.</summary>
    private sealed class AnsweringTunnels : ReceiveActor
    {
        public AnsweringTunnels() =>
            ReceiveAny(m => Sender.Tell(new TunnelReply(new TunnelState { Id = (m as IEntityMessage)?.EntityId ?? "t1" })));
    }

    private sealed class RecordingPusher : IRulePusher
    {
        public TimeSpan? Wait { get; private set; }

        public Task<IWireMessage> PushAsync(string tunnelId, RuleChange change, TimeSpan wait, CancellationToken cancellationToken)
        {
            Wait = wait;
            return Task.FromResult<IWireMessage>(new AdminDone("removed"));
        }
    }

    private sealed class Presence(string? online) : ITunnelPresence
    {
        public ImmutableDictionary<string, SessionPresence> Online { get; } = online is null
            ? ImmutableDictionary<string, SessionPresence>.Empty
            : ImmutableDictionary<string, SessionPresence>.Empty.Add(online, new SessionPresence(online, "s1", ["127.0.0.1:1"], "127.0.0.1", DateTimeOffset.UtcNow));

        public ImmutableDictionary<int, FirewallInfo> PortFirewalls(string tunnelId) => ImmutableDictionary<int, FirewallInfo>.Empty;
    }
}
