using System.Collections.Immutable;
using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;
using Spokes.Tests.Actors.Ports;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Serialization;

/// <summary>With <c>serialize-messages = on</c> every message between actors is serialized and read back
/// through its bound serializer, as if it crossed the cluster port: a type missing from the registry, or
/// one that does not survive the JSON round trip, breaks these flows.</summary>
public sealed class SerializedMessagesTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly IActorRef _catalog;

    public SerializedMessagesTests(ITestOutputHelper output)
        : base(SpokesTestConfig.Create(serializeMessages: true), "serialized", output)
    {
        _catalog = Sys.ActorOf(CatalogActor.Props(null), "catalog");
    }

    [Fact]
    public void EntityFlows_EveryMessageSerialized_RepliesAndListingsIntact()
    {
        var user = Sys.ActorOf(UserEntity.Props("u1", _catalog, TimeProvider.System));
        user.Tell(new GetUser("u1"));
        Assert.Equal(ErrorCode.NotFound, ExpectMsg<Refusal>(Wait).Code);
        user.Tell(new CreateUser("u1", "ada@example.com", "Ada", UserOrigin.AdminCli, "pbkdf2-sha256$1$a$b", true, "test"));
        Assert.Equal("ada@example.com", ExpectMsg<UserReply>(Wait).User.Email);
        user.Tell(new CompleteTwoFactorEnrolment("u1", "sealed", 7, "test"));
        Assert.Equal(7, ExpectMsg<UserReply>(Wait).User.LastTotpStep);
        user.Tell(new AcceptTotpStep("u1", 7, "test"));
        Assert.Equal(ErrorCode.Conflict, ExpectMsg<Refusal>(Wait).Code);

        var reg = Sys.ActorOf(RegistrationEntity.Props("r1", _catalog, TimeProvider.System));
        reg.Tell(new CreateRegistration("r1", "sealed", "beta", "test"));
        Assert.True(ExpectMsg<RegistrationReply>(Wait).Registration.Active);

        var token = Sys.ActorOf(AuthTokenEntity.Props("k1", _catalog, TimeProvider.System));
        token.Tell(new CreateAuthToken("k1", "sealed", "app", "u1", "agent", "t1", "test"));
        Assert.Equal("t1", ExpectMsg<AuthTokenReply>(Wait).Token.TunnelId);

        var ports = Sys.ActorOf(PortLeaseShard.Props(_catalog, TimeProvider.System), "ports");
        var tunnel = Sys.ActorOf(TunnelEntity.Props("t1", _catalog, ports, TimeProvider.System));
        tunnel.Tell(new CreateTunnel("t1", "k1", "u1", "agent", "app", "test"));
        ExpectMsg<TunnelReply>(Wait);
        tunnel.Tell(new AllocatePort("t1", 1, 25000, 25001, "test"));
        var port = ExpectMsg<PortAllocated>(Wait).Port;
        tunnel.Tell(new AllocatePort("t1", 1, 25000, 25001, "test"));
        Assert.Equal(ErrorCode.QuotaReached, ExpectMsg<Refusal>(Wait).Code);
        var rule = new HttpRuleInfo("app.example.com", "127.0.0.1", 8080, 8443, "/www", true, "h", true, true, true, true);
        tunnel.Tell(new CacheHttpRules("t1", [rule], "test"));
        Assert.Equal(rule, Assert.Single(ExpectMsg<TunnelReply>(Wait).Tunnel.HttpRules));
        ports.Tell(new SetPortDestination(PortIds.For(port), "t1", "db", 5432, "test"));
        Assert.Equal("db", ExpectMsg<PortLeaseReply>(Wait).Lease.DestinationHost);

        _catalog.Tell(new ListUsers());
        Assert.Single(ExpectMsg<UserList>(Wait).Users);
        _catalog.Tell(new ListRegistrations());
        Assert.Single(ExpectMsg<RegistrationList>(Wait).Registrations);
        _catalog.Tell(new ListAuthTokens());
        Assert.Single(ExpectMsg<AuthTokenList>(Wait).Tokens);
        _catalog.Tell(new ListTunnels());
        Assert.Equal(ImmutableSortedSet.Create(port), Assert.Single(ExpectMsg<TunnelList>(Wait).Tunnels).Ports);
        _catalog.Tell(new ListPortLeases());
        Assert.Equal(5432, Assert.Single(ExpectMsg<PortLeaseList>(Wait).Leases).DestinationPort);
        _catalog.Tell(new FindFreePorts(25000, 25001, 5));
        Assert.Equal([port == 25000 ? 25001 : 25000], ExpectMsg<FreePorts>(Wait).Ports);

        tunnel.Tell(new ShutdownTunnel("t1", "revoked", "test"));
        Assert.Empty(ExpectMsg<TunnelReply>(Wait).Tunnel.Ports);

        // Only an actor's private, local-only messages (piped to itself) may have reached the JSON fallback.
        Assert.All(RecordingJsonSerializer.SpokesTypesSeen.Keys, t => Assert.True(t.IsNestedPrivate,
            $"{t.FullName} fell back to the default JSON serializer; a node would refuse it"));
    }
}
