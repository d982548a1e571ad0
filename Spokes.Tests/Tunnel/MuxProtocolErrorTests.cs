using Spokes.Tunnel.Frames;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class MuxProtocolErrorTests
{
    [Fact]
    public async Task OversizedDataFrame_SendsGoAwayProtocolErrorAndCloses()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.Syn, 1, FrameHeader.MaxFrameLength + 1));

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.ProtocolError, "exceeds");
    }

    [Fact]
    public async Task UnknownFrameType_SendsGoAwayProtocolError()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        byte[] raw = [FrameHeader.CurrentVersion, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        await rawOut.WriteAsync(raw);

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.ProtocolError, "unknown frame type 9");
    }

    [Fact]
    public async Task BadVersion_SendsGoAwayUnsupportedVersionNamingBothVersions()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        byte[] raw = [7, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        await rawOut.WriteAsync(raw);

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.UnsupportedVersion, "version 7; this side speaks version 1");
    }

    [Fact]
    public async Task DataOnUnknownStream_SendsGoAwayProtocolError()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.None, 5, 3), "abc"u8.ToArray());

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.ProtocolError, "unknown stream 5");
    }

    [Fact]
    public async Task DataBeyondWindow_SendsGoAwayProtocolError()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.Syn, 1, 0));
        var chunk = new byte[FrameHeader.MaxFrameLength];
        for (int sent = 0; sent <= FrameHeader.InitialWindow; sent += chunk.Length)
        {
            await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.None, 1, (uint)chunk.Length), chunk);
        }

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.ProtocolError, "beyond its window");
    }

    [Fact]
    public async Task StreamOpenedWithWrongParity_SendsGoAwayProtocolError()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer(sessionIsClient: false);
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.Syn, 2, 0));

        await AssertGoAwayAndClosedAsync(session, rawIn, GoAwayCode.ProtocolError, "parity");
    }

    [Fact]
    public async Task ProtocolError_OnOneConnection_LeavesOtherSessionsWorking()
    {
        var (bad, rawOut, rawIn) = MuxTestPeers.RawPeer();
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.None, 99, 0));
        await bad.Completion.WaitAsync(MuxTestPeers.Timeout);

        Assert.True(await client.PingAsync().WaitAsync(MuxTestPeers.Timeout) >= TimeSpan.Zero);
        Assert.False(server.IsClosed);
    }

    [Fact]
    public async Task LateFrameForClosedStream_IsIgnored()
    {
        var (session, rawOut, rawIn) = MuxTestPeers.RawPeer();
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.Syn, 1, 0));
        var stream = (await session.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        stream.Reset();
        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Data, FrameFlags.None, 1, 2), "hi"u8.ToArray());

        await MuxTestPeers.SendRawAsync(rawOut, new FrameHeader(FrameType.Ping, FrameFlags.Syn, 0, 77));

        Assert.Equal(77u, await MuxTestPeers.ReadUntilPingAckAsync(rawIn));
        Assert.False(session.IsClosed);
        await session.DisposeAsync();
    }

    private static async Task AssertGoAwayAndClosedAsync(MuxSession session, System.IO.Pipelines.PipeReader rawIn, GoAwayCode code, string reason)
    {
        Assert.Equal(code, await MuxTestPeers.ReadUntilGoAwayAsync(rawIn));
        await MuxTestPeers.DrainToEndAsync(rawIn);
        await session.Completion.WaitAsync(MuxTestPeers.Timeout);
        var error = Assert.IsType<MuxProtocolException>(session.CloseReason);
        Assert.Contains(reason, error.Message);
        Assert.Equal(code, error.Code);
    }
}
