using System.Text;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class MuxStreamLifecycleTests
{
    [Fact]
    public async Task HalfClose_ClientSendsFin_ServerStillSendsReply()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        var stream = await client.OpenStreamAsync();
        await stream.Output.WriteAsync("request"u8.ToArray());
        await stream.Output.CompleteAsync();

        var peer = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        var request = await MuxTestPeers.ReadAllAsync(peer.Input).WaitAsync(MuxTestPeers.Timeout);
        Assert.True(peer.RemoteClosed);
        await peer.Output.WriteAsync(Encoding.UTF8.GetBytes("reply to " + Encoding.UTF8.GetString(request)));
        await peer.Output.CompleteAsync();

        var reply = await MuxTestPeers.ReadAllAsync(stream.Input).WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal("reply to request", Encoding.UTF8.GetString(reply));
        await AssertNoOpenStreamsAsync(client, server);
    }

    [Fact]
    public async Task Reset_ByOneSide_AbortsBothDirectionsOnTheOther()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        var stream = await client.OpenStreamAsync();
        await stream.Output.WriteAsync("x"u8.ToArray());
        var peer = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        stream.Reset();

        await Assert.ThrowsAsync<MuxStreamResetException>(() => MuxTestPeers.ReadAllAsync(peer.Input).WaitAsync(MuxTestPeers.Timeout));
        await Assert.ThrowsAsync<MuxStreamResetException>(async () => await peer.Output.WriteAsync(new byte[10]));
        await Assert.ThrowsAsync<MuxStreamResetException>(async () => await stream.Input.ReadAsync());
        await AssertNoOpenStreamsAsync(client, server);

        // The session itself is unharmed.
        var next = await client.OpenStreamAsync();
        await next.Output.CompleteAsync();
        Assert.NotNull(await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout));
    }

    [Fact]
    public async Task OpenStream_BeyondPeerMaxStreams_IsResetByPeer()
    {
        var (clientPipe, serverPipe) = MuxTestPeers.PipePair();
        await using var client = new MuxSession(clientPipe, isClient: true);
        await using var server = new MuxSession(serverPipe, isClient: false, new MuxOptions { MaxStreams = 1 });

        var first = await client.OpenStreamAsync();
        Assert.NotNull(await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout));
        var second = await client.OpenStreamAsync();

        await Assert.ThrowsAsync<MuxStreamResetException>(() => MuxTestPeers.ReadAllAsync(second.Input).WaitAsync(MuxTestPeers.Timeout));
        Assert.False(first.IsReset);
    }

    [Fact]
    public async Task PeerStreamLimit_OneUntilRaised_FurtherStreamsResetUntilThen()
    {
        var (clientPipe, serverPipe) = MuxTestPeers.PipePair();
        await using var client = new MuxSession(clientPipe, isClient: true);
        await using var server = new MuxSession(serverPipe, isClient: false) { PeerStreamLimit = 1 };

        var control = await client.OpenStreamAsync();
        Assert.NotNull(await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout));
        var early = await client.OpenStreamAsync();
        await Assert.ThrowsAsync<MuxStreamResetException>(() => MuxTestPeers.ReadAllAsync(early.Input).WaitAsync(MuxTestPeers.Timeout));

        server.PeerStreamLimit = int.MaxValue;
        var later = await client.OpenStreamAsync();
        Assert.NotNull(await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout));
        Assert.False(control.IsReset);
        Assert.False(later.IsReset);
    }

    [Fact]
    public async Task Ping_OnLiveSession_ReturnsRoundTripTime()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        var rtt = await client.PingAsync().WaitAsync(MuxTestPeers.Timeout);
        Assert.True(rtt >= TimeSpan.Zero);
        Assert.True(await server.PingAsync().WaitAsync(MuxTestPeers.Timeout) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task GoAway_FromPeer_RefusesNewStreamsButKeepsOpenOnes()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var open = await client.OpenStreamAsync();
        var peer = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;

        await server.GoAwayAsync();
        await server.PingAsync().WaitAsync(MuxTestPeers.Timeout);
        await client.PingAsync().WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(GoAwayCode.Normal, client.RemoteGoAway);
        await Assert.ThrowsAsync<MuxException>(() => client.OpenStreamAsync());
        await open.Output.WriteAsync("still here"u8.ToArray());
        await open.Output.CompleteAsync();
        Assert.Equal("still here"u8.ToArray(), await MuxTestPeers.ReadAllAsync(peer.Input).WaitAsync(MuxTestPeers.Timeout));
    }

    [Fact]
    public async Task Dispose_OfOneSession_EndsPeerAndAbortsItsStreams()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = server;
        var stream = await client.OpenStreamAsync();
        var peer = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;

        await client.DisposeAsync();
        await server.Completion.WaitAsync(MuxTestPeers.Timeout);

        Assert.Null(await server.AcceptStreamAsync());
        await Assert.ThrowsAsync<MuxException>(() => MuxTestPeers.ReadAllAsync(peer.Input));
        Assert.Equal(GoAwayCode.Normal, server.RemoteGoAway);
    }

    [Fact]
    public async Task AsStream_ReadAndWrite_RoundTripsAndDisposeSendsFin()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var opened = await client.OpenStreamAsync();
        await using (var stream = opened.AsStream())
        {
            await stream.WriteAsync("ping"u8.ToArray());
        }

        var peer = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        using var reader = new StreamReader(peer.AsStream());
        Assert.Equal("ping", await reader.ReadToEndAsync().WaitAsync(MuxTestPeers.Timeout));
    }

    private static async Task AssertNoOpenStreamsAsync(MuxSession client, MuxSession server)
    {
        // A ping round trip on each side orders us after every frame the peer sent before it.
        await client.PingAsync().WaitAsync(MuxTestPeers.Timeout);
        await server.PingAsync().WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal(0, client.OpenStreams);
        Assert.Equal(0, server.OpenStreams);
    }
}
