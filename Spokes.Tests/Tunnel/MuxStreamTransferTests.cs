using System.Security.Cryptography;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class MuxStreamTransferTests
{
    [Fact]
    public async Task OpenStream_WithHeader_AcceptorSeesHeaderAndData()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;

        var opened = await client.OpenStreamAsync("tcp:8080"u8.ToArray());
        await opened.Output.WriteAsync("hello"u8.ToArray());
        await opened.Output.CompleteAsync();

        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
        Assert.NotNull(accepted);
        Assert.Equal("tcp:8080", System.Text.Encoding.UTF8.GetString(accepted.Header.Span));
        Assert.Equal(1u, accepted.Id);
        var data = await MuxTestPeers.ReadAllAsync(accepted.Input).WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal("hello"u8.ToArray(), data);
    }

    [Fact]
    public async Task ManyStreams_InterleavedOverTinyPipes_ContentMatchesSha256()
    {
        var (client, server) = MuxTestPeers.Sessions(pauseThreshold: 1024);
        await using var _ = client;
        await using var __ = server;
        await EchoManyStreamsAsync(client, server, streams: 100, maxSize: 64 * 1024, seed: 42);
    }

    [Fact]
    public async Task ManyStreams_InterleavedOverLoopbackTcp_ContentMatchesSha256()
    {
        var (client, server) = await MuxTestPeers.TcpSessionsAsync();
        await using var _ = client;
        await using var __ = server;
        await EchoManyStreamsAsync(client, server, streams: 100, maxSize: 512 * 1024, seed: 7);
    }

    /// <summary>The server echoes each stream; the client checks every reply by SHA-256.</summary>
    private static async Task EchoManyStreamsAsync(MuxSession client, MuxSession server, int streams, int maxSize, int seed)
    {
        var echo = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (int i = 0; i < streams; i++)
            {
                var stream = await server.AcceptStreamAsync();
                Assert.NotNull(stream);
                echoes.Add(Task.Run(async () =>
                {
                    await stream.Input.CopyToAsync(stream.Output);
                    await stream.Output.CompleteAsync();
                }));
            }

            await Task.WhenAll(echoes);
        });

        var random = new Random(seed);
        var payloads = Enumerable.Range(0, streams).Select(_ =>
        {
            var data = new byte[random.Next(0, maxSize)];
            random.NextBytes(data);
            return data;
        }).ToArray();

        var transfers = payloads.Select(data => Task.Run(async () =>
        {
            var stream = await client.OpenStreamAsync();
            var send = MuxTestPeers.WriteAllAsync(stream.Output, data, chunk: 7000).ContinueWith(_ => stream.Output.Complete(), TaskScheduler.Default);
            var reply = await MuxTestPeers.ReadAllAsync(stream.Input);
            await send;
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(reply));
        })).ToArray();

        await Task.WhenAll(transfers).WaitAsync(TimeSpan.FromSeconds(15));
        await echo.WaitAsync(MuxTestPeers.Timeout);
    }
}
