using Spokes.Acme;
using Spokes.Edge.Acme;

namespace Spokes.Tests.Edge.Acme;

public sealed class AcmeChallengeStoreTests
{
    [Theory]
    [InlineData("/.well-known/acme-challenge/abc-DEF_123", "abc-DEF_123")]
    [InlineData("/.well-known/acme-challenge/abc?x=1", "abc")]
    [InlineData("/.well-known/acme-challenge/", null)]
    [InlineData("/.well-known/acme-challenge/../etc", null)]
    [InlineData("/.well-known/acme-challenge/a/b", null)]
    [InlineData("/other/abc", null)]
    [InlineData(null, null)]
    public void Token_of_a_request_target(string? target, string? token) => Assert.Equal(token, AcmeChallengeStore.TokenOf(target));

    [Fact]
    public void Answers_known_tokens_until_removed()
    {
        var store = new AcmeChallengeStore();
        store.Add("tok", "tok.thumb");
        Assert.Equal("tok.thumb", store.AnswerFor("/.well-known/acme-challenge/tok"));
        Assert.Null(store.AnswerFor("/.well-known/acme-challenge/other"));
        store.Remove("tok");
        Assert.Null(store.AnswerFor("/.well-known/acme-challenge/tok"));
        Assert.Equal(0, store.Count);
    }
}
