using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Edge.Certificates;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Tls;
using Spokes.Tests.Support;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Edge;

/// <summary>The HTTPS port's own transport on a loopback socket: agents served on its TLS, every other connection
/// handed to Kestrel with its first byte unread.</summary>
public sealed class HttpsPortTransportTests : IAsyncLifetime
{
    private const string Domain = "spokes.test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly RecordingAgents _agents = new();
    private IConnectionListener _listener = null!;
    private IPEndPoint _endPoint = null!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection()
            .AddSingleton<IAgentConnections>(_agents)
            .AddSingleton(new ServerCertificate(SelfSignedCertificate.Create(Domain)))
            .AddSingleton(new EdgeIdentity("n1", Domain, "127.0.0.1:1", "127.0.0.1:1"))
            .BuildServiceProvider();
        // Short enough for the silent-connection test, long enough that a loaded machine (the suite starting on two cores)
        // still sorts a connection whose bytes are already there: 300 ms once closed a test's garbage before it was read.
        var transport = new HttpsPortTransport(services, NullLoggerFactory.Instance) { PeekTimeout = TimeSpan.FromSeconds(3) };
        var endPoint = new HttpsPortEndPoint(IPAddress.Loopback, 0);
        Assert.True(transport.CanBind(endPoint));
        Assert.False(transport.CanBind(new IPEndPoint(IPAddress.Loopback, 0)));
        _listener = await transport.BindAsync(endPoint);
        _endPoint = (IPEndPoint)_listener.EndPoint;
        Assert.NotEqual(0, _endPoint.Port);
    }

    public async Task DisposeAsync() => await _listener.DisposeAsync();

    [Fact]
    public async Task AgentHello_IsServedOnTheTransportsOwnTls_AndNeverReachesKestrel()
    {
        var kestrel = _listener.AcceptAsync().AsTask();
        await using var client = await DialAgentAsync(Domain);
        var stream = await client.OpenStreamAsync();
        await stream.Output.WriteAsync("ping"u8.ToArray());
        await stream.Output.FlushAsync();

        var served = await _agents.Served.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)served.Remote!).Address);
        var accepted = await served.Mux.AcceptStreamAsync().AsTask().WaitAsync(Bound);
        Assert.Equal("ping", await ReadAsync(accepted!.Input, 4));
        Assert.False(kestrel.IsCompleted);
    }

    [Fact]
    public async Task AgentHello_WithoutServerName_IsAnAgentToo()
    {
        await using var client = await DialAgentAsync(null);
        await client.OpenStreamAsync();
        await _agents.Served.Reader.ReadAsync().AsTask().WaitAsync(Bound);
    }

    [Theory]
    [InlineData(Domain, "h2")]
    [InlineData("app.spokes.test", ControlProtocol.Alpn)]
    [InlineData("spokes-cluster", "spokes-relay/1")]
    public async Task OtherHellos_GoToKestrel_FromTheirFirstByte(string serverName, string alpn)
    {
        var hello = HelloBuilder.Record(HelloBuilder.ServerNameExtension(serverName), HelloBuilder.AlpnExtension(alpn));
        using var socket = await ConnectAsync();
        await socket.SendAsync(hello);

        var connection = await AcceptAsync();
        Assert.Equal(Convert.ToHexString(hello), Convert.ToHexString(await ReadBytesAsync(connection.Transport.Input, hello.Length)));
        Assert.Equal(0, _agents.Served.Reader.Count);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task AgentHello_SplitAcrossSegments_GoesToKestrel_WhereTheAlpnMiddlewareServesIt()
    {
        var hello = HelloBuilder.Record(HelloBuilder.ServerNameExtension(Domain), HelloBuilder.AlpnExtension(ControlProtocol.Alpn));
        using var socket = await ConnectAsync();
        await socket.SendAsync(hello.AsMemory(0, 3));
        var connection = await AcceptAsync(); // decided on the first 3 bytes
        await socket.SendAsync(hello.AsMemory(3));

        Assert.Equal(Convert.ToHexString(hello), Convert.ToHexString(await ReadBytesAsync(connection.Transport.Input, hello.Length)));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task SilentConnection_IsClosedAfterThePeekTimeout()
    {
        using var socket = await ConnectAsync();
        var buffer = new byte[1];
        var read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Bound);
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Garbage_GoesToKestrel_WhichClosesIt()
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var connection = await AcceptAsync();
        Assert.Equal("GET ", await ReadAsync(connection.Transport.Input, 4));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Unbind_EndsAccepting_AndDispose_EndsAgentConnections()
    {
        await using var client = await DialAgentAsync(Domain);
        await client.OpenStreamAsync();
        await _agents.Served.Reader.ReadAsync().AsTask().WaitAsync(Bound);

        await _listener.UnbindAsync();
        Assert.Null(await _listener.AcceptAsync().AsTask().WaitAsync(Bound));
        await Assert.ThrowsAnyAsync<SocketException>(ConnectAsync);

        await _listener.DisposeAsync();
        await client.Completion.WaitAsync(Bound);
        Assert.True(client.IsClosed);
    }

    private async Task<ConnectionContext> AcceptAsync() => (await _listener.AcceptAsync().AsTask().WaitAsync(Bound))!;

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(_endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    private async Task<MuxSession> DialAgentAsync(string? serverName)
    {
        var tls = new SslStream(new NetworkStream(await ConnectAsync(), ownsSocket: true));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "",
            ApplicationProtocols = [new SslApplicationProtocol(ControlProtocol.Alpn)],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }).WaitAsync(Bound);
        Assert.Equal(ControlProtocol.Alpn, tls.NegotiatedApplicationProtocol.ToString());
        return MuxSession.Create(tls, isClient: true);
    }

    private static async Task<string> ReadAsync(PipeReader input, int length) =>
        System.Text.Encoding.ASCII.GetString(await ReadBytesAsync(input, length));

    private static async Task<byte[]> ReadBytesAsync(PipeReader input, int length)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (true)
        {
            var read = await input.ReadAsync(timeout.Token);
            if (read.Buffer.Length >= length || read.IsCompleted)
            {
                var bytes = read.Buffer.Slice(0, Math.Min(length, read.Buffer.Length)).ToArray();
                input.AdvanceTo(read.Buffer.Start);
                return bytes;
            }
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private sealed class RecordingAgents : IAgentConnections
    {
        public Channel<(EndPoint? Remote, MuxSession Mux)> Served { get; } = Channel.CreateUnbounded<(EndPoint?, MuxSession)>();

        public async Task HandleAsync(EndPoint? remote, Func<MuxSession> open, CancellationToken closed)
        {
            var mux = open();
            Served.Writer.TryWrite((remote, mux));
            try
            {
                await mux.Completion.WaitAsync(closed);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                await mux.DisposeAsync();
            }
        }
    }
}
