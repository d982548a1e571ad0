using System.IO.Pipelines;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class MuxFlowControlTests
{
    [Fact]
    public async Task StalledReader_OnOneStream_OtherStreamStillTransfersMegabytes()
    {
        var (client, server) = MuxTestPeers.Sessions(pauseThreshold: 4096);
        await using var _ = client;
        await using var __ = server;

        var stalled = await client.OpenStreamAsync();
        var stalledPeer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        // Fill A's window (and its send buffer) without ever reading it on the server.
        var fill = MuxTestPeers.WriteAllAsync(stalled.Output, new byte[4 << 20]);

        var busy = await client.OpenStreamAsync();
        var busyPeer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        var data = new byte[8 << 20];
        new Random(1).NextBytes(data);
        var send = Task.Run(async () =>
        {
            await MuxTestPeers.WriteAllAsync(busy.Output, data, chunk: 32 * 1024);
            await busy.Output.CompleteAsync();
        });
        var received = await MuxTestPeers.ReadAllAsync(busyPeer!.Input).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(data, received);
        Assert.False(fill.IsCompleted, "the stalled stream must be held back by its window");
        stalledPeer!.Reset();
    }

    [Fact]
    public async Task SlowConsumer_ReadingEventually_ReceivesEverything()
    {
        var options = new MuxOptions { ReceiveWindow = 512 * 1024, SendBufferSize = 16 * 1024, MaxChunkSize = 4096 };
        var (client, server) = MuxTestPeers.Sessions(options, pauseThreshold: 2048);
        await using var _ = client;
        await using var __ = server;

        var stream = await client.OpenStreamAsync();
        var data = new byte[3 << 20];
        new Random(2).NextBytes(data);
        var send = Task.Run(async () =>
        {
            await MuxTestPeers.WriteAllAsync(stream.Output, data, chunk: 100_000);
            await stream.Output.CompleteAsync();
        });
        var peer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        var received = await MuxTestPeers.ReadAllAsync(peer!.Input).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(data, received);
        await send.WaitAsync(MuxTestPeers.Timeout);
    }

    [Fact]
    public async Task SingleStream_OverLoopbackTcp_MovesDataQuickly()
    {
        var (client, server) = await MuxTestPeers.TcpSessionsAsync(new MuxOptions { ReceiveWindow = 1 << 20, MaxChunkSize = 64 * 1024 });
        await using var _ = client;
        await using var __ = server;
        var stream = await client.OpenStreamAsync();
        var peer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        const long total = 512L << 20;
        var block = new byte[64 * 1024];

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            for (long sent = 0; sent < total; sent += block.Length)
            {
                await stream.Output.WriteAsync(block);
            }

            await stream.Output.CompleteAsync();
        });
        long received = 0;
        while (true)
        {
            ReadResult result = await peer!.Input.ReadAsync();
            received += result.Buffer.Length;
            peer.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await send.WaitAsync(MuxTestPeers.Timeout);
        double gbits = total * 8 / watch.Elapsed.TotalSeconds / 1e9;
        Assert.Equal(total, received);
        Assert.True(gbits > 0.5, $"single stream moved only {gbits:F2} Gbit/s");
        Console.WriteLine($"mux single stream over loopback: {gbits:F2} Gbit/s");
    }

    [Fact]
    public async Task BulkStream_WindowGrowsToTheMaximum_AnIdleStreamKeepsTheInitialWindow()
    {
        // A round trip far longer than the transfer takes: every update qualifies, whatever the machine's speed.
        var options = new MuxOptions { AssumedRoundTrip = TimeSpan.FromSeconds(10) };
        var (client, server) = await MuxTestPeers.TcpSessionsAsync(options);
        await using var _ = client;
        await using var __ = server;
        var idle = await client.OpenStreamAsync();
        var idlePeer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        var bulk = await client.OpenStreamAsync();
        var bulkPeer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);

        var data = new byte[24 << 20];
        new Random(3).NextBytes(data);
        var send = Task.Run(async () =>
        {
            await MuxTestPeers.WriteAllAsync(bulk.Output, data, chunk: 256 * 1024);
            await bulk.Output.CompleteAsync();
        });
        var received = await MuxTestPeers.ReadAllAsync(bulkPeer!.Input).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(data, received);
        Assert.Equal(options.MaxReceiveWindow, bulkPeer.WindowSize);
        Assert.Equal(options.ReceiveWindow, idlePeer!.WindowSize);
        Assert.InRange(server.WindowGrowth, 0, options.MaxWindowGrowth);
        await send.WaitAsync(MuxTestPeers.Timeout);
    }

    [Fact]
    public async Task WindowGrowth_CappedPerSession_AndReturnedWhenTheStreamEnds()
    {
        var options = new MuxOptions { AssumedRoundTrip = TimeSpan.FromSeconds(10), MaxWindowGrowth = 256 * 1024 };
        var (client, server) = await MuxTestPeers.TcpSessionsAsync(options);
        await using var _ = client;
        await using var __ = server;

        foreach (int seed in new[] { 4, 5 })
        {
            var stream = await client.OpenStreamAsync();
            var peer = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
            var data = new byte[8 << 20];
            new Random(seed).NextBytes(data);
            var send = Task.Run(async () =>
            {
                await MuxTestPeers.WriteAllAsync(stream.Output, data, chunk: 256 * 1024);
                await stream.Output.CompleteAsync();
            });
            var received = await MuxTestPeers.ReadAllAsync(peer!.Input).WaitAsync(MuxTestPeers.Timeout);
            await send.WaitAsync(MuxTestPeers.Timeout);

            Assert.Equal(data, received);
            // One doubling (256 KiB → 512 KiB) spends the whole budget; no more.
            Assert.Equal(2 * options.ReceiveWindow, peer.WindowSize);
            Assert.Equal(options.MaxWindowGrowth, server.WindowGrowth);

            await peer.Output.CompleteAsync();
            var deadline = DateTime.UtcNow + MuxTestPeers.Timeout;
            while (server.WindowGrowth != 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(0, server.WindowGrowth);
        }
    }
}
