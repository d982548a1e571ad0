using Spokes.Actors.Entities;
using Spokes.Actors.Tokens;

namespace Spokes.Tests.Actors.Tokens;

public sealed class AuthTokenStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static AuthTokenState Apply(AuthTokenState state, Decision decision) =>
        decision.Events.Aggregate(state, (s, e) => s.Apply(e));

    private static AuthTokenState Created() => Apply(AuthTokenState.Empty,
        AuthTokenState.Empty.Decide(new CreateAuthToken("k1", "sealed", "app", "u1", "agent", "t1", "test"), Now));

    [Fact]
    public void CreateAuthToken_New_IsActiveWithItsTunnel()
    {
        var token = Created();
        Assert.True(token.Active);
        Assert.Equal("t1", token.TunnelId);
        Assert.Equal("app", token.Hostname);
        Assert.Equal(Now, token.Created);
    }

    [Fact]
    public void CreateAuthToken_Existing_RefusedWithConflict()
    {
        var decision = Created().Decide(new CreateAuthToken("k1", "x", "", null, null, "t1", "test"), Now);
        Assert.Empty(decision.Events);
        Assert.Equal(ErrorCode.Conflict, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void GetAuthToken_Unknown_RefusedWithNotFound()
    {
        var decision = AuthTokenState.Empty.Decide(new GetAuthToken("k1"), Now);
        Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(decision.Reply).Code);
        decision = AuthTokenState.Empty.Decide(new DeactivateAuthToken("k1", "test"), Now);
        Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void DeactivateAuthToken_Twice_SecondIsIdempotent()
    {
        var first = Created().Decide(new DeactivateAuthToken("k1", "test"), Now);
        Assert.Single(first.Events);
        var inactive = Apply(Created(), first);
        Assert.False(inactive.Active);
        var second = inactive.Decide(new DeactivateAuthToken("k1", "test"), Now);
        Assert.Empty(second.Events);
        Assert.Null(second.Reply);
    }
}
