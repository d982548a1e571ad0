using Spokes.Actors.Gateway;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Gateway;

/// <summary>A large answer split into parts by the gateway and joined by the CLI is the same answer.</summary>
public sealed class ReplyChunksTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpokesTestConfig.Create(), "chunks", output)
{
    [Fact]
    public void SplitThenJoin_ALargeListing_ComesBackWholeInOrderFromPartsOfBoundedSize()
    {
        var reply = new TokensReply([.. Enumerable.Range(0, 5000).Select(i =>
            new TokenDto($"k{i}", DateTimeOffset.UnixEpoch.AddSeconds(i), "ünïcode user", $"t{i}", $"host{i}.example.com", new string('v', 40), i % 2 == 0))]);
        var (bytes, manifest) = ReplyChunks.Serialize(Sys, reply);

        var parts = ReplyChunks.Split("r1", manifest, bytes);

        Assert.True(parts.Length > 5, $"{parts.Length} parts");
        Assert.All(parts, p => Assert.True(p.Part.Length <= (ReplyChunks.PartBytes + 2) / 3 * 4, $"part {p.Index}: {p.Part.Length}"));
        Assert.Equal(Enumerable.Range(0, parts.Length), parts.Select(p => p.Index));
        var back = Assert.IsType<TokensReply>(ReplyChunks.Join(Sys, parts));
        Assert.Equal(reply.Tokens, back.Tokens);
    }
}
