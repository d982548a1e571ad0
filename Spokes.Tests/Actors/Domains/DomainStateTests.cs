using Spokes.Actors.Domains;
using Spokes.Actors.Entities;

namespace Spokes.Tests.Actors.Domains;

public sealed class DomainStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static DomainState Run(DomainState state, IDomainMessage command) =>
        state.Decide(command, Now).Events.Aggregate(state, (s, e) => s.Apply(e));

    private static DomainState OwnedBy(string tunnel) => Run(DomainState.Empty, new ClaimDomain("app.example.com", tunnel, "test"));

    [Fact]
    public void Claim_Free_TheTunnelOwnsIt()
    {
        var domain = OwnedBy("t1");
        Assert.Equal("app.example.com", domain.Domain);
        Assert.Equal("t1", domain.TunnelId);
        Assert.Equal(Now, domain.Since);
    }

    [Fact]
    public void Claim_ByTheOwner_AnswersWithoutEvents_ByAnother_RefusedNamingTheOwner()
    {
        var again = OwnedBy("t1").Decide(new ClaimDomain("app.example.com", "t1", "test"), Now);
        var other = OwnedBy("t1").Decide(new ClaimDomain("app.example.com", "t2", "test"), Now);

        Assert.Empty(again.Events);
        Assert.Null(again.Reply);
        Assert.Empty(other.Events);
        var refusal = Assert.IsType<Refusal>(other.Reply);
        Assert.Equal(ErrorCode.Conflict, refusal.Code);
        Assert.Equal("domain app.example.com belongs to another tunnel (t1)", refusal.Message);
    }

    [Fact]
    public void Release_ByAnotherTunnel_KeepsTheOwner_ByTheOwnerOrHousekeeping_FreesIt()
    {
        Assert.Equal("t1", Run(OwnedBy("t1"), new ReleaseDomain("app.example.com", "t2", "test")).TunnelId);
        Assert.False(Run(OwnedBy("t1"), new ReleaseDomain("app.example.com", "t1", "test")).Owned);
        Assert.False(Run(OwnedBy("t1"), new ReleaseDomain("app.example.com", null, "clean")).Owned);
        Assert.Empty(DomainState.Empty.Decide(new ReleaseDomain("app.example.com", "t1", "test"), Now).Events);
    }

    [Fact]
    public void Released_ThenClaimedByAnother_TheOtherOwnsIt()
    {
        var freed = Run(OwnedBy("t1"), new ReleaseDomain("app.example.com", "t1", "test"));
        Assert.Equal("t2", Run(freed, new ClaimDomain("app.example.com", "t2", "test")).TunnelId);
    }
}
