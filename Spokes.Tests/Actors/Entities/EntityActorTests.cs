using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;
using Spokes.Tests.Actors.Ports;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Entities;

/// <summary>Each entity through its Props on the in-memory journal: persist, reply, catalog, recovery.</summary>
public sealed class EntityActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly IActorRef _catalog;

    public EntityActorTests(ITestOutputHelper output) : base(SpokesTestConfig.Create(), "entities", output)
    {
        _catalog = Sys.ActorOf(CatalogActor.Props(null), "catalog");
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Stops the actor and waits until it is gone, so the next incarnation recovers from the journal.</summary>
    private void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor, Wait);
        Unwatch(actor);
    }

    [Fact]
    public async Task UserEntity_StoppedAndRestarted_StateSurvives()
    {
        var user = Sys.ActorOf(UserEntity.Props("u1", _catalog, TimeProvider.System));
        user.Tell(new CreateUser("u1", "ada@example.com", "Ada", UserOrigin.AdminCli, "pbkdf2-sha256$1$a$b", false, "test"));
        ExpectMsg<UserReply>(Wait);
        user.Tell(new AcceptTotpStep("u1", 5, "test"));
        ExpectMsg<UserReply>(r => r.User.LastTotpStep == 5, Wait);
        StopAndWait(user);

        var again = Sys.ActorOf(UserEntity.Props("u1", _catalog, TimeProvider.System));
        var reply = await again.Ask<UserReply>(new GetUser("u1"), Wait);
        Assert.Equal("ada@example.com", reply.User.Email);
        Assert.Equal(5, reply.User.LastTotpStep);
        var replay = await again.Ask<Refusal>(new AcceptTotpStep("u1", 5, "test"), Wait);
        Assert.Equal(ErrorCode.Conflict, replay.Code);
    }

    [Fact]
    public async Task UserEntity_Duplicate_RefusedAndCatalogListsOnce()
    {
        var user = Sys.ActorOf(UserEntity.Props("u2", _catalog, TimeProvider.System));
        var create = new CreateUser("u2", "bob@example.com", "Bob", UserOrigin.AdminCli, "pbkdf2-sha256$1$a$b", false, "test");
        await user.Ask<UserReply>(create, Wait);
        var list = await _catalog.Ask<UserList>(new ListUsers(), Wait);
        Assert.Single(list.Users, u => u.Email == "bob@example.com");
        Assert.Equal(ErrorCode.Conflict, (await user.Ask<Refusal>(create, Wait)).Code);
        Assert.Single((await _catalog.Ask<UserList>(new ListUsers(), Wait)).Users, u => u.Email == "bob@example.com");
    }

    [Fact]
    public async Task UserEntity_Unknown_NotFoundAndNotListed()
    {
        var user = Sys.ActorOf(UserEntity.Props("ghost", _catalog, TimeProvider.System));
        Assert.Equal(ErrorCode.NotFound, (await user.Ask<Refusal>(new GetUser("ghost"), Wait)).Code);
        Assert.DoesNotContain((await _catalog.Ask<UserList>(new ListUsers(), Wait)).Users, u => u.Id == "ghost");
    }

    [Fact]
    public async Task RegistrationEntity_AfterReply_CatalogListsItAndStateSurvivesRestart()
    {
        var reg = Sys.ActorOf(RegistrationEntity.Props("r1", _catalog, TimeProvider.System));
        await reg.Ask<RegistrationReply>(new CreateRegistration("r1", "sealed", "beta", "test"), Wait);
        Assert.Contains((await _catalog.Ask<RegistrationList>(new ListRegistrations(), Wait)).Registrations, r => r.Id == "r1" && r.Active);
        await reg.Ask<RegistrationReply>(new SetRegistrationActive("r1", false, "test"), Wait);
        Assert.Contains((await _catalog.Ask<RegistrationList>(new ListRegistrations(), Wait)).Registrations, r => r.Id == "r1" && !r.Active);
        StopAndWait(reg);
        var again = Sys.ActorOf(RegistrationEntity.Props("r1", _catalog, TimeProvider.System));
        var state = (await again.Ask<RegistrationReply>(new GetRegistration("r1"), Wait)).Registration;
        Assert.Equal(("beta", false), (state.Description, state.Active));
    }

    [Fact]
    public async Task AuthTokenEntity_Deactivated_SurvivesRestartAndCatalogShowsInactive()
    {
        var token = Sys.ActorOf(AuthTokenEntity.Props("k1", _catalog, TimeProvider.System));
        await token.Ask<AuthTokenReply>(new CreateAuthToken("k1", "sealed", "app", null, null, "t1", "test"), Wait);
        Assert.Contains((await _catalog.Ask<AuthTokenList>(new ListAuthTokens(), Wait)).Tokens, t => t.Id == "k1" && t.Active);
        await token.Ask<AuthTokenReply>(new DeactivateAuthToken("k1", "test"), Wait);
        await token.Ask<AuthTokenReply>(new DeactivateAuthToken("k1", "test"), Wait);
        StopAndWait(token);
        var again = Sys.ActorOf(AuthTokenEntity.Props("k1", _catalog, TimeProvider.System));
        Assert.False((await again.Ask<AuthTokenReply>(new GetAuthToken("k1"), Wait)).Token.Active);
        Assert.Contains((await _catalog.Ask<AuthTokenList>(new ListAuthTokens(), Wait)).Tokens, t => t.Id == "k1" && !t.Active);
    }

    [Fact]
    public async Task TunnelEntity_ManyEvents_SnapshotAndRecoveryKeepTheState()
    {
        var ports = Sys.ActorOf(PortLeaseShard.Props(_catalog, TimeProvider.System));
        var tunnel = Sys.ActorOf(TunnelEntity.Props("t9", _catalog, ports, TimeProvider.System));
        await tunnel.Ask<TunnelReply>(new CreateTunnel("t9", "k9", null, null, "app", "test"), Wait);
        for (var i = 0; i < 120; i++) // crosses the snapshot interval (100)
            tunnel.Tell(new RecordSessionStart("t9", $"192.0.2.1:{5000 + i}", "agent"));
        ReceiveN(120, Wait);
        StopAndWait(tunnel);
        var again = Sys.ActorOf(TunnelEntity.Props("t9", _catalog, ports, TimeProvider.System));
        var state = (await again.Ask<TunnelReply>(new GetTunnel("t9"), Wait)).Tunnel;
        Assert.Equal("192.0.2.1:5119", state.LastAddress);
        Assert.Equal("app", state.Hostname);
    }

    [Fact]
    public async Task PortLeaseEntity_LeasedThenRestarted_StillHeldAndListed()
    {
        var port = Sys.ActorOf(PortLeaseEntity.Props("23001", _catalog, TimeProvider.System));
        await port.Ask<PortLeaseReply>(new LeasePort("23001", "t1", "test"), Wait);
        Assert.Contains((await _catalog.Ask<PortLeaseList>(new ListPortLeases(), Wait)).Leases, l => l.Port == 23001 && l.TunnelId == "t1");
        StopAndWait(port);
        var again = Sys.ActorOf(PortLeaseEntity.Props("23001", _catalog, TimeProvider.System));
        Assert.Equal(ErrorCode.Conflict, (await again.Ask<Refusal>(new LeasePort("23001", "t2", "test"), Wait)).Code);
        await again.Ask<PortLeaseReply>(new ReleasePort("23001", "t1", "test"), Wait);
        Assert.DoesNotContain((await _catalog.Ask<PortLeaseList>(new ListPortLeases(), Wait)).Leases, l => l.Port == 23001);
    }
}
