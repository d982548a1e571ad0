using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class BytePumpTests
{
    [Fact]
    public async Task Relay_SocketThroughMuxToEchoService_PreservesHalfClose()
    {
        // visitor socket ⇄ [relay A] ⇄ mux stream ⇄ [relay B] ⇄ echo service socket
        var (client, server) = MuxTestPeers.Sessions(pauseThreshold: 4096);
        await using var _ = client;
        await using var __ = server;
        var (visitor, visitorSide) = await SocketPairAsync();
        var (service, serviceSide) = await SocketPairAsync();
        using var v = visitor;
        using var s = service;

        var opened = await client.OpenStreamAsync();
        var relayA = BytePump.RelayAsync(opened, new NetworkStream(visitorSide, ownsSocket: true), () => visitorSide.Shutdown(SocketShutdown.Send));
        var accepted = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        var relayB = BytePump.RelayAsync(accepted, new NetworkStream(serviceSide, ownsSocket: true), () => serviceSide.Shutdown(SocketShutdown.Send));
        var echo = Task.Run(async () =>
        {
            // The service reads to end of input (the visitor's FIN) and only then replies.
            using var stream = new NetworkStream(service);
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            var hash = SHA256.HashData(buffer.ToArray());
            await stream.WriteAsync(hash);
            service.Shutdown(SocketShutdown.Send);
        });

        var data = new byte[3 << 20];
        new Random(3).NextBytes(data);
        using var visitorStream = new NetworkStream(visitor);
        await visitorStream.WriteAsync(data);
        visitor.Shutdown(SocketShutdown.Send);
        var reply = new MemoryStream();
        await visitorStream.CopyToAsync(reply).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(SHA256.HashData(data), reply.ToArray());
        var resultA = await relayA.WaitAsync(MuxTestPeers.Timeout);
        var resultB = await relayB.WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal(new RelayResult(PumpResult.Success, data.Length, PumpResult.Success, 32), resultA);
        Assert.Equal(new RelayResult(PumpResult.Success, 32, PumpResult.Success, data.Length), resultB);
        await echo;
    }

    [Fact]
    public async Task StreamToPipe_ReadsWholeFrames_ZeroByteReadOnlyAfterTheSourceWasEmptied()
    {
        // Two reads that fill their buffer, a short one, then end of input.
        var source = new ScriptedSource(full: 2, shortRead: 10);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));

        var (result, bytes) = await BytePump.CopyAsync(source, pipe.Writer).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(PumpResult.Success, result);
        Assert.Equal(source.Delivered, bytes);
        // A zero-byte read first; none between reads that filled their buffer; one again after the short read.
        Assert.Equal([0, 1, 1, 1, 0, 1], source.Requested.Select(length => length == 0 ? 0 : 1));
        Assert.All(source.Requested.Where(length => length > 0), length => Assert.True(length >= 64 * 1024, $"asked for {length} bytes"));
    }

    /// <summary>A source whose first reads fill whatever buffer they get, then one short read, then end of input.</summary>
    private sealed class ScriptedSource(int full, int shortRead) : Stream
    {
        private int _reads;

        public List<int> Requested { get; } = [];

        public long Delivered { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Requested.Add(buffer.Length);
            if (buffer.Length == 0)
            {
                return ValueTask.FromResult(0);
            }

            int n = _reads++ < full ? buffer.Length : _reads == full + 1 ? shortRead : 0;
            Delivered += n;
            return ValueTask.FromResult(n);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Relay_StreamResetByPeer_ReportsErrorAndEnds()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var (visitor, visitorSide) = await SocketPairAsync();
        using var v = visitor;

        var opened = await client.OpenStreamAsync();
        var relay = BytePump.RelayAsync(opened, new NetworkStream(visitorSide, ownsSocket: true));
        var accepted = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        accepted.Reset();

        var result = await relay.WaitAsync(MuxTestPeers.Timeout);
        Assert.True(result.FromStream == PumpResult.InputError || result.ToStream != PumpResult.Success, result.ToString());
    }

    [Fact]
    public async Task PipeToStream_WhileDraining_EndsAtTheFirstQuietMomentAfterAnAnswer()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var (visitor, relaySide) = MuxTestPeers.PipePair();
        long counted = 0;
        var policy = new RelayPolicy(() => TimeSpan.FromMinutes(10), () => true, CutWhenQuiet: true, b => Interlocked.Add(ref counted, b));

        var relay = BytePump.RelayAsync(relaySide, await client.OpenStreamAsync(), policy);
        var service = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        await visitor.Output.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.Equal(18, (await ReadAtLeastAsync(service.Input, 18)).Length);
        Assert.False(relay.IsCompleted); // a request without its answer is never cut

        await service.Output.WriteAsync("HTTP/1.1 200 OK\r\n\r\n"u8.ToArray());
        Assert.Equal(19, (await ReadAtLeastAsync(visitor.Input, 19)).Length);
        var result = await relay.WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal((18L, 19L), (result.BytesToStream, result.BytesFromStream));
        Assert.Equal(37, Interlocked.Read(ref counted));
    }

    [Fact]
    public async Task PipeToStream_NothingMovedForTheIdleLimit_BothDirectionsEnd()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var (visitor, relaySide) = MuxTestPeers.PipePair();

        var relay = BytePump.RelayAsync(relaySide, await client.OpenStreamAsync(), RelayPolicy.IdleFor(TimeSpan.FromMilliseconds(300)));
        await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        var result = await relay.WaitAsync(MuxTestPeers.Timeout);
        Assert.NotEqual(PumpResult.Success, result.ToStream);
        Assert.True((await visitor.Input.ReadAsync().AsTask().WaitAsync(MuxTestPeers.Timeout)).IsCompleted);
    }

    private static async Task<byte[]> ReadAtLeastAsync(System.IO.Pipelines.PipeReader input, int length)
    {
        using var timeout = new CancellationTokenSource(MuxTestPeers.Timeout);
        while (true)
        {
            var read = await input.ReadAsync(timeout.Token);
            if (read.Buffer.Length >= length || read.IsCompleted)
            {
                var bytes = System.Buffers.BuffersExtensions.ToArray(read.Buffer);
                input.AdvanceTo(read.Buffer.End);
                return bytes;
            }
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static async Task<(Socket Client, Socket Server)> SocketPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept.WaitAsync(MuxTestPeers.Timeout));
    }
}
