using System.Collections.Concurrent;
using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Store;
using Spokes.Actors.Tokens;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Gateway;

/// <summary>The operations read the catalog in pages, so that no answer outgrows a remoting message when the
/// catalog singleton runs on another node; the listing is still whole, in the catalog's order.</summary>
public sealed class CatalogPagingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpokesTestConfig.Create(), "paging", output)
{
    [Fact]
    public async Task ListTokens_4500Tokens_AskedInPagesOfAtMost2000_AllListedOnceInOrder()
    {
        var secrets = new SecretBox(new byte[32]);
        var catalog = Sys.ActorOf(CatalogActor.Props(null), "catalog");
        for (var i = 0; i < 4500; i++)
            await catalog.Ask<CatalogAck>(new AuthTokenUpserted($"token-k{i}", 1, new AuthTokenState
            {
                Id = $"k{i}", SealedValue = secrets.Seal($"value-{i}"), Hostname = $"h{i}", TunnelId = $"t{i}", Active = true,
                Created = DateTimeOffset.UnixEpoch.AddSeconds(i),
            }), TimeSpan.FromSeconds(10));
        var asked = new ConcurrentQueue<ListAuthTokens>();
        var recording = Sys.ActorOf(Props.Create(() => new Recording(catalog, asked)), "recording");
        var silent = Sys.ActorOf(Props.Create(() => new Recording(ActorRefs.Nobody, null)), "others");
        var operations = new AdminOperations(Sys, new SpokesRegions(silent, silent, silent, silent, silent, recording, silent, silent),
            secrets, new TunnelOptionsSource(new TunOptionsConfig(), new PortRangeConfig()), new NoPresence(), new NoRulePusher(),
            TimeProvider.System, new AgentCredentials())
        {
            Traffic = new TrafficStore(new DatabaseConfig(), new TrafficConfig()),
        };

        var reply = Assert.IsType<TokensReply>(await operations.HandleAsync(new ListTokensRequest(), "test"));

        Assert.Equal(Enumerable.Range(0, 4500).Select(i => $"k{i}"), reply.Tokens.Select(t => t.Id));
        Assert.Equal("value-4499", reply.Tokens[^1].Value);
        Assert.Equal([(0, 2000), (2000, 2000), (4000, 2000)], asked.Select(a => (a.Offset, a.Limit)));
    }

    /// <summary>Forwards to the catalog, noting each token listing it passes on.</summary>
    private sealed class Recording : ReceiveActor
    {
        public Recording(IActorRef catalog, ConcurrentQueue<ListAuthTokens>? asked) => ReceiveAny(m =>
        {
            if (m is ListAuthTokens l) asked?.Enqueue(l);
            catalog.Forward(m);
        });
    }
}
