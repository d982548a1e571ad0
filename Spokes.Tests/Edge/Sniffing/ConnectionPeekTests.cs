using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Text;
using Spokes.Edge.Certificates;
using Spokes.Edge.Sniffing;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Sniffing;

public class ConnectionPeekTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PeekAsync_HelloFedOneByteAtATime_FoundAfterLastByteAndHelloStillReadable()
    {
        var hello = await ClientHelloCapture.CaptureAsync("one.example.com", "spokes/1");
        await AssertFedOneByteAtATimeAsync<ClientHelloInfo>(hello, ClientHelloParser.TryParse, info => Assert.Equal("one.example.com", info.ServerName));
    }

    [Fact]
    public async Task PeekAsync_SplitRealHelloFedOneByteAtATime_Found()
    {
        var hello = ClientHelloCapture.Refragment(await ClientHelloCapture.CaptureAsync("split.example.com", "h2"), 64);
        await AssertFedOneByteAtATimeAsync<ClientHelloInfo>(hello, ClientHelloParser.TryParse, info => Assert.Equal(["h2"], info.ApplicationProtocols));
    }

    [Fact]
    public async Task PeekAsync_HttpHeadFedOneByteAtATime_FoundAndHeadStillReadable()
    {
        var head = "GET / HTTP/1.1\r\nHost: web.example.com:80\r\n\r\n"u8.ToArray();
        await AssertFedOneByteAtATimeAsync<HttpRequestHead>(head, HttpHeadParser.TryParse, h => Assert.Equal("web.example.com", h.Host));
    }

    [Fact]
    public async Task PeekClientHelloAsync_ThenTlsServerReadsSamePipe_HandshakeCompletesWithPeekedAlpn()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        using var client = new SslStream(new DuplexPipeStream(toClient.Reader, toServer.Writer));
        using var certificate = SelfSignedCertificate.Create("example.com");
        var clientHandshake = client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "app.example.com",
            ApplicationProtocols = [new SslApplicationProtocol("spokes/1"), SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        var (result, hello) = await ConnectionPeek.PeekClientHelloAsync(toServer.Reader, Patience, CancellationToken.None);

        Assert.Equal(SniffResult.Found, result);
        Assert.Equal("app.example.com", hello!.ServerName);
        using var server = new SslStream(new DuplexPipeStream(toServer.Reader, toClient.Writer));
        await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ApplicationProtocols = [new SslApplicationProtocol("spokes/1")],
        }).WaitAsync(Patience);
        await clientHandshake.WaitAsync(Patience);
        Assert.Equal("spokes/1", client.NegotiatedApplicationProtocol.ToString());
    }

    [Fact]
    public async Task PeekClientHelloAsync_Garbage_NotMineAndBytesLeftInPipe()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GET / HTTP/1.1\r\n"u8.ToArray());

        var (result, hello) = await ConnectionPeek.PeekClientHelloAsync(pipe.Reader, Patience, CancellationToken.None);

        Assert.Equal(SniffResult.NotMine, result);
        Assert.Null(hello);
        var read = await pipe.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal("GET / HTTP/1.1\r\n", Encoding.ASCII.GetString(read.Buffer.ToArray()));
    }

    [Fact]
    public async Task PeekClientHelloAsync_SilentClient_NotEnoughDataAfterTimeout()
    {
        var pipe = new Pipe();

        var (result, _) = await ConnectionPeek.PeekClientHelloAsync(pipe.Reader, TimeSpan.FromMilliseconds(100), CancellationToken.None)
            .AsTask().WaitAsync(Patience);

        Assert.Equal(SniffResult.NotEnoughData, result);
    }

    [Fact]
    public async Task PeekHttpHeadAsync_HalfSentHeadThenSilence_NotEnoughDataAfterTimeout()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GET / HTTP/1.1\r\nHost: a"u8.ToArray());

        var (result, head) = await ConnectionPeek.PeekHttpHeadAsync(pipe.Reader, TimeSpan.FromMilliseconds(100), CancellationToken.None)
            .AsTask().WaitAsync(Patience);

        Assert.Equal(SniffResult.NotEnoughData, result);
        Assert.Null(head);
    }

    [Fact]
    public async Task PeekClientHelloAsync_ClientEndsBeforeHelloComplete_NotMine()
    {
        var pipe = new Pipe();
        var hello = await ClientHelloCapture.CaptureAsync("a.example.com");
        await pipe.Writer.WriteAsync(hello.AsMemory(0, hello.Length / 2));
        await pipe.Writer.CompleteAsync();

        var (result, _) = await ConnectionPeek.PeekClientHelloAsync(pipe.Reader, Patience, CancellationToken.None);

        Assert.Equal(SniffResult.NotMine, result);
    }

    [Fact]
    public async Task PeekClientHelloAsync_CallerCancels_Throws()
    {
        var pipe = new Pipe();
        using var cancel = new CancellationTokenSource();

        var peek = ConnectionPeek.PeekClientHelloAsync(pipe.Reader, Patience, cancel.Token).AsTask();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => peek.WaitAsync(Patience));
    }

    /// <summary>Writes one byte, waits until the parser has looked at it, and repeats; then checks a later reader sees every byte.</summary>
    private static async Task AssertFedOneByteAtATimeAsync<T>(byte[] message, SniffParser<T> parser, Action<T> check) where T : class
    {
        var pipe = new Pipe();
        var looked = new SemaphoreSlim(0);
        var results = new List<(long Length, SniffResult Result)>();
        SniffParser<T> observed = (in ReadOnlySequence<byte> buffer, out T? value) =>
        {
            var result = parser(buffer, out value);
            lock (results) results.Add((buffer.Length, result));
            looked.Release();
            return result;
        };

        var peek = ConnectionPeek.PeekAsync(pipe.Reader, observed, Patience, null, CancellationToken.None).AsTask();
        foreach (var b in message)
        {
            await pipe.Writer.WriteAsync(new[] { b });
            Assert.True(await looked.WaitAsync(Patience));
        }
        var (found, value) = await peek.WaitAsync(Patience);

        Assert.Equal(SniffResult.Found, found);
        check(value!);
        Assert.Equal(Enumerable.Range(1, message.Length).Select(n => (long)n), results.Select(r => r.Length));
        Assert.All(results.SkipLast(1), r => Assert.Equal(SniffResult.NotEnoughData, r.Result));
        var read = await pipe.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(message, read.Buffer.ToArray());
    }
}
