using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.Tests.Support;
using Spokes.Tunnel.Pumps;

namespace Spokes.Tests.Tunnel.Pumps;

/// <summary>visitor ⇄ [edgeIn | pump | edgeOut] ⇄ backend, all real loopback sockets.</summary>
public sealed class StreamPumpTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private Socket _visitor = null!, _edgeIn = null!, _edgeOut = null!, _backend = null!;
    private NetworkStream _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        (_visitor, _edgeIn) = await Loopback.PairAsync();
        (_edgeOut, _backend) = await Loopback.PairAsync();
        _a = new NetworkStream(_edgeIn, ownsSocket: true);
        _b = new NetworkStream(_edgeOut, ownsSocket: true);
    }

    public Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        _visitor.Dispose();
        _backend.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RelayAsync_EightMebibytesEachWay_ArriveIntactAndSuccess()
    {
        var up = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var down = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);

        var relay = StreamPump.RelayAsync(_a, _b, TimeSpan.FromSeconds(30), CancellationToken.None);
        var receivedUp = Loopback.ReadToEndHashedAsync(_backend);
        var receivedDown = Loopback.ReadToEndHashedAsync(_visitor);
        await Task.WhenAll(Loopback.SendAndShutdownAsync(_visitor, up), Loopback.SendAndShutdownAsync(_backend, down)).WaitAsync(Patience);

        var (upLength, upHash) = await receivedUp.WaitAsync(Patience);
        var (downLength, downHash) = await receivedDown.WaitAsync(Patience);
        Assert.Equal(up.LongLength, upLength);
        Assert.Equal(SHA256.HashData(up), upHash);
        Assert.Equal(down.LongLength, downLength);
        Assert.Equal(SHA256.HashData(down), downHash);
        Assert.Equal(new PumpResult(PumpStatus.Success, up.Length, down.Length), await relay.WaitAsync(Patience));
    }

    [Fact]
    public async Task RelayAsync_VisitorHalfCloses_BackendStillRepliesAndVisitorReceivesIt()
    {
        var relay = StreamPump.RelayAsync(_a, _b, Timeout.InfiniteTimeSpan, CancellationToken.None);

        await Loopback.SendAndShutdownAsync(_visitor, "ping"u8.ToArray()).WaitAsync(Patience);
        var request = await Loopback.ReadToEndAsync(_backend).WaitAsync(Patience);
        await Loopback.SendAndShutdownAsync(_backend, "pong"u8.ToArray()).WaitAsync(Patience);
        var reply = await Loopback.ReadToEndAsync(_visitor).WaitAsync(Patience);

        Assert.Equal("ping", Encoding.ASCII.GetString(request));
        Assert.Equal("pong", Encoding.ASCII.GetString(reply));
        Assert.Equal(new PumpResult(PumpStatus.Success, 4, 4), await relay.WaitAsync(Patience));
    }

    [Fact]
    public async Task RelayAsync_WithPrefix_PrefixArrivesFirstAndIsCounted()
    {
        var relay = StreamPump.RelayAsync(_a, _b, "HELLO "u8.ToArray(), Timeout.InfiniteTimeSpan, CancellationToken.None);

        await Loopback.SendAndShutdownAsync(_visitor, "world"u8.ToArray()).WaitAsync(Patience);
        var received = await Loopback.ReadToEndAsync(_backend).WaitAsync(Patience);
        await Loopback.SendAndShutdownAsync(_backend, []).WaitAsync(Patience);

        Assert.Equal("HELLO world", Encoding.ASCII.GetString(received));
        Assert.Equal(new PumpResult(PumpStatus.Success, 11, 0), await relay.WaitAsync(Patience));
    }

    [Fact]
    public async Task RelayAsync_NoTraffic_EndsWithIdleTimeout()
    {
        var clock = Stopwatch.StartNew();

        var result = await StreamPump.RelayAsync(_a, _b, TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(PumpStatus.IdleTimeout, result.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(190), Patience);
    }

    [Fact]
    public async Task RelayAsync_ProgressWithinIdleTimeout_ResetsItUntilTrafficStops()
    {
        var time = new ManualTime();
        var options = new RelayOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time };
        var relay = StreamPump.RelayAsync(_a, _b, options, CancellationToken.None);
        var buffer = new byte[16];

        for (var i = 0; i < 5; i++)
        {
            // 5 × 6 s = 30 s of relay life with a 10 s idle timeout: only progress keeps it alive.
            time.Advance(TimeSpan.FromSeconds(6));
            Assert.False(relay.IsCompleted, $"relay ended before byte {i}");
            await _visitor.SendAsync(new[] { (byte)i }).WaitAsync(Patience);
            Assert.Equal(1, await _backend.ReceiveAsync(buffer).WaitAsync(Patience));
        }

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(relay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new PumpResult(PumpStatus.IdleTimeout, 5, 0), await relay.WaitAsync(Patience));
    }

    [Fact]
    public async Task RelayAsync_CallerCancels_EndsWithCanceled()
    {
        using var cancel = new CancellationTokenSource();
        var relay = StreamPump.RelayAsync(_a, _b, Timeout.InfiniteTimeSpan, cancel.Token);
        await _visitor.SendAsync("x"u8.ToArray()).WaitAsync(Patience);
        Assert.Equal(1, await _backend.ReceiveAsync(new byte[4]).WaitAsync(Patience));

        cancel.Cancel();

        Assert.Equal(new PumpResult(PumpStatus.Canceled, 1, 0), await relay.WaitAsync(Patience));
    }

    [Fact]
    public async Task RelayAsync_AlreadyCanceled_EndsWithCanceled()
    {
        var result = await StreamPump.RelayAsync(_a, _b, Timeout.InfiniteTimeSpan, new CancellationToken(true)).WaitAsync(Patience);

        Assert.Equal(PumpStatus.Canceled, result.Status);
    }

    [Fact]
    public async Task RelayAsync_VisitorResets_EndsWithInputErrorAndException()
    {
        var relay = StreamPump.RelayAsync(_a, _b, Timeout.InfiniteTimeSpan, CancellationToken.None);

        _visitor.LingerState = new LingerOption(true, 0);
        _visitor.Close();

        var result = await relay.WaitAsync(Patience);
        Assert.Equal(PumpStatus.InputError, result.Status);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public async Task RelayAsync_HalfCloseableStreams_EndOfStreamPassedThroughInterface()
    {
        var (visitor, a) = DuplexPipeStream.CreatePair();
        var (b, backend) = DuplexPipeStream.CreatePair();
        var relay = StreamPump.RelayAsync(a, b, Timeout.InfiniteTimeSpan, CancellationToken.None);

        await visitor.WriteAsync("ask"u8.ToArray()).AsTask().WaitAsync(Patience);
        await visitor.CompleteWritesAsync();
        var request = await ReadToEndAsync(backend).WaitAsync(Patience);
        await backend.WriteAsync("answer"u8.ToArray()).AsTask().WaitAsync(Patience);
        await backend.CompleteWritesAsync();
        var reply = await ReadToEndAsync(visitor).WaitAsync(Patience);

        Assert.Equal("ask", request);
        Assert.Equal("answer", reply);
        Assert.Equal(new PumpResult(PumpStatus.Success, 3, 6), await relay.WaitAsync(Patience));
        Assert.Equal((1, 1), (a.HalfCloses, b.HalfCloses));
    }

    [Fact]
    public async Task RelayAsync_CustomCompleteWrites_CalledOncePerDirection()
    {
        var completed = new List<Stream>();
        var options = new RelayOptions
        {
            CompleteWrites = s =>
            {
                lock (completed) completed.Add(s);
                return StreamPump.CompleteWritesAsync(s);
            },
        };
        var relay = StreamPump.RelayAsync(_a, _b, options, CancellationToken.None);

        await Loopback.SendAndShutdownAsync(_visitor, [1]).WaitAsync(Patience);
        await Loopback.SendAndShutdownAsync(_backend, [2, 3]).WaitAsync(Patience);
        Assert.Equal(new PumpResult(PumpStatus.Success, 1, 2), await relay.WaitAsync(Patience));
        Assert.Equal(2, completed.Count);
        Assert.Contains(_a, completed);
        Assert.Contains(_b, completed);
    }

    [Fact]
    public async Task RelayAsync_DestinationWithoutHalfClose_EndsRelayWhenItsSourceEnds()
    {
        // The visitor side is a stream type the pump cannot half-close (like a Kestrel transport).
        using var opaque = new OpaqueStream(_a);
        var relay = StreamPump.RelayAsync(opaque, _b, Timeout.InfiniteTimeSpan, CancellationToken.None);

        await Loopback.SendAndShutdownAsync(_backend, "bye"u8.ToArray()).WaitAsync(Patience);
        var result = await relay.WaitAsync(Patience);
        var received = new byte[8];
        var count = await _visitor.ReceiveAsync(received).WaitAsync(Patience);

        Assert.Equal(new PumpResult(PumpStatus.Success, 0, 3), result);
        Assert.Equal("bye", Encoding.ASCII.GetString(received, 0, count));
    }

    [Fact]
    public async Task RelayAsync_TlsVisitor_BackendEndPassedAsCloseNotifyAndVisitorCanStillSend()
    {
        using var certificate = Spokes.Edge.Certificates.SelfSignedCertificate.Create("example.com");
        using var visitorTls = new System.Net.Security.SslStream(new NetworkStream(_visitor, ownsSocket: false));
        using var edgeTls = new System.Net.Security.SslStream(_a, leaveInnerStreamOpen: true);
        await Task.WhenAll(
            edgeTls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificate }),
            visitorTls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "example.com",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            })).WaitAsync(Patience);
        var relay = StreamPump.RelayAsync(edgeTls, _b, Timeout.InfiniteTimeSpan, CancellationToken.None);

        await Loopback.SendAndShutdownAsync(_backend, "first"u8.ToArray()).WaitAsync(Patience);
        var reply = await ReadToEndAsync(visitorTls).WaitAsync(Patience);
        await visitorTls.WriteAsync("late"u8.ToArray()).AsTask().WaitAsync(Patience);
        await visitorTls.ShutdownAsync().WaitAsync(Patience);
        var late = await Loopback.ReadToEndAsync(_backend).WaitAsync(Patience);

        Assert.Equal("first", reply);
        Assert.Equal("late", Encoding.ASCII.GetString(late));
        Assert.Equal(new PumpResult(PumpStatus.Success, 4, 5), await relay.WaitAsync(Patience));
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        return await reader.ReadToEndAsync();
    }
}
