using Spokes.Tunnel.Frames;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

/// <summary>WaitForAnswerAsync: how a relay tells a live peer from a hung one.</summary>
public class MuxStreamAnswerTests
{
    [Fact]
    public async Task WaitForAnswer_PeerAcks_CompletesWithoutReset()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        var stream = await client.OpenStreamAsync();

        await stream.WaitForAnswerAsync().WaitAsync(MuxTestPeers.Timeout);
        Assert.False(stream.IsReset);
        Assert.True(stream.WaitForAnswerAsync().IsCompleted);
    }

    [Fact]
    public async Task WaitForAnswer_PeerNotAnsweredYet_Pending_ThenPeerRefusesWithRst_Completes()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer(sessionIsClient: true);
        await using var _ = session;

        var stream = await session.OpenStreamAsync();
        var answer = stream.WaitForAnswerAsync();

        Assert.False(answer.IsCompleted);
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.WindowUpdate, FrameFlags.Rst, stream.Id, 0));
        await answer.WaitAsync(MuxTestPeers.Timeout);
        Assert.True(stream.IsReset);
        GC.KeepAlive(rawIn);
    }

    [Fact]
    public async Task WaitForAnswer_SessionAborted_Completes_AndStreamsThePeerOpenedAreAnsweredAtOnce()
    {
        var (session, _, rawIn) = MuxTestPeers.RawPeer(sessionIsClient: true);
        var stream = await session.OpenStreamAsync();
        var answer = stream.WaitForAnswerAsync();

        session.Abort();

        await answer.WaitAsync(MuxTestPeers.Timeout);
        GC.KeepAlive(rawIn);

        var (client, server) = MuxTestPeers.Sessions();
        await using var __ = client;
        await using var ___ = server;
        await client.OpenStreamAsync();
        var accepted = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        Assert.True(accepted.WaitForAnswerAsync().IsCompleted);
    }
}
