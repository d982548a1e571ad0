using System.Buffers;
using System.Text;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class ControlChannelTests
{
    private static Hello NewHello(int version = ControlProtocol.Version) => new()
    {
        ProtocolVersion = version,
        AgentVersion = "1.0.0",
        Key = "k-123",
        Role = ConnectionRole.Control,
    };

    [Fact]
    public async Task Handshake_HelloThenWelcome_AgentGetsSession()
    {
        await using var pair = await ChannelPair.CreateAsync();

        var node = Task.Run(async () =>
        {
            var hello = Assert.IsType<Hello>(await pair.Node.ReceiveHandshakeAsync(MuxTestPeers.Timeout));
            Assert.Equal("k-123", hello.Key);
            await pair.Node.SendAsync(new Welcome
            {
                ProtocolVersion = ControlProtocol.Version, TunnelId = "t1", SessionId = "s1", SessionSecret = "x", MaxPoolSize = 4, ServerVersion = "1.0.0",
            });
        });
        var welcome = await pair.Agent.HelloAsync(NewHello(), MuxTestPeers.Timeout);

        await node;
        Assert.Equal("t1", welcome.TunnelId);
        Assert.Equal(4, welcome.MaxPoolSize);
    }

    [Fact]
    public async Task Handshake_VersionMismatch_BothSidesGetMessageNamingBothVersions()
    {
        await using var pair = await ChannelPair.CreateAsync();

        var node = pair.Node.ReceiveHandshakeAsync(MuxTestPeers.Timeout);
        var agent = await Assert.ThrowsAsync<ControlRefusedException>(() => pair.Agent.HelloAsync(NewHello(version: 2), MuxTestPeers.Timeout));
        var nodeError = await Assert.ThrowsAsync<ControlRefusedException>(() => node);

        Assert.Equal(RefusalCodes.VersionMismatch, agent.Code);
        Assert.Contains("agent speaks spokes protocol 2; this node speaks 1", agent.Message);
        Assert.Equal(agent.Message, nodeError.Message);
    }

    [Fact]
    public async Task Handshake_SilentPeer_TimesOut()
    {
        await using var pair = await ChannelPair.CreateAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => pair.Node.ReceiveHandshakeAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Contains("handshake timeout", error.Message);
    }

    [Fact]
    public async Task Handshake_Refused_AgentSeesCodeAndMessage()
    {
        await using var pair = await ChannelPair.CreateAsync();

        var node = Task.Run(async () =>
        {
            await pair.Node.ReceiveHandshakeAsync(MuxTestPeers.Timeout);
            await pair.Node.RefuseAsync(RefusalCodes.Unauthorized, "unknown key");
        });
        var error = await Assert.ThrowsAsync<ControlRefusedException>(() => pair.Agent.HelloAsync(NewHello(), MuxTestPeers.Timeout));

        await node;
        Assert.Equal(RefusalCodes.Unauthorized, error.Code);
        Assert.Contains("unknown key", error.Message);
    }

    [Fact]
    public async Task Request_AnsweredByPeer_CorrelatesOkAndError()
    {
        await using var pair = await ChannelPair.CreateAsync();
        var agentLoop = Task.Run(async () => await pair.Agent.ReceiveAsync());
        var nodeLoop = Task.Run(async () =>
        {
            while (await pair.Node.ReceiveAsync() is ControlRequest request)
            {
                if (request is TcpAllocate)
                {
                    await pair.Node.ReplyOkAsync(request, port: 20001);
                }
                else
                {
                    await pair.Node.ReplyErrorAsync(request, "domain taken");
                }
            }
        });

        var allocate = pair.Agent.RequestAsync(new TcpAllocate(), MuxTestPeers.Timeout);
        var add = pair.Agent.RequestAsync(new HttpAdd { Rule = new HttpRule { Domain = "a.example", Destination = "localhost", HttpPort = 80 } }, MuxTestPeers.Timeout);

        Assert.Equal(20001, (await allocate).Port);
        var error = await Assert.ThrowsAsync<ControlRequestException>(() => add);
        Assert.Equal("domain taken", error.Message);
    }

    [Fact]
    public async Task Request_NoReply_TimesOut()
    {
        await using var pair = await ChannelPair.CreateAsync();
        var drain = Task.Run(async () => await pair.Node.ReceiveAsync());

        await Assert.ThrowsAsync<TimeoutException>(() => pair.Agent.RequestAsync(new TcpRelease { Port = 1 }, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void Codec_EveryMessageType_RoundTrips()
    {
        ControlMessage[] messages =
        [
            NewHello() with { Role = ConnectionRole.Data, SessionId = "s", SessionSecret = "x" },
            new Welcome { ProtocolVersion = 1, TunnelId = "t", SessionId = "s", SessionSecret = "x", MaxPoolSize = 8, ServerVersion = "1" },
            new Refused { Code = RefusalCodes.PoolFull, Message = "m" },
            new Register { ProtocolVersion = 1, RegistrationToken = "r", UserId = "u", TunnelHostname = "h" },
            new Registered { Key = "k" },
            new Shutdown { Reason = "deactivated" },
            new KeepAlivePing { Nonce = 5 },
            new KeepAlivePong { Nonce = 5 },
            new SyncRules { RequestId = 1, Http = [new HttpRule { Domain = "d", Destination = "h", TlsPort = 443, LetsEncrypt = true }], Tcp = [new TcpRule { Port = 20000 }] },
            new HttpAdd { RequestId = 2, Rule = new HttpRule { Domain = "d", Destination = "h", Redirect = true, BasicUser = "u", BasicPass = "p" } },
            new HttpRemove { RequestId = 3, Domain = "d" },
            new TcpAllocate { RequestId = 4 },
            new TcpAllocated { RequestId = 5, Port = 20001 },
            new TcpForward { RequestId = 6, Port = 20001, Destination = "db", DstPort = 5432 },
            new TcpReset { RequestId = 7, Port = 20001 },
            new TcpRelease { RequestId = 8, Port = 20001 },
            new OkReply { RequestId = 1, Results = [new RuleResult("http:d", true), new RuleResult("tcp:20000", false, "not leased")] },
            new ErrorReply { RequestId = 2, Message = "no" },
        ];

        foreach (var message in messages)
        {
            var output = new ArrayBufferWriter<byte>();
            ControlCodec.Write(message, output);
            Assert.True(ControlCodec.TryParse(new ReadOnlySequence<byte>(output.WrittenMemory), out var parsed, out _));
            Assert.Equal(Json(message), Json(parsed!));
            Assert.Equal(message.GetType(), parsed!.GetType());
        }
    }

    [Fact]
    public void Codec_HelloJson_IsCamelCaseWithTypeDiscriminator()
    {
        string json = Json(NewHello());
        Assert.Equal("""{"type":"hello","protocolVersion":1,"agentVersion":"1.0.0","key":"k-123","role":"control"}""", json);
    }

    [Theory]
    [InlineData("""{"type":"teleport","x":1}""", "unknown control message type \"teleport\"")]
    [InlineData("""{"nope":1}""", "no \"type\"")]
    [InlineData("""{"type":"tcpForward","requestId":1,"port":1}""", "malformed \"tcpForward\"")]
    [InlineData("""{"type":"hello",""", "no \"type\"")]
    public void Codec_BadMessage_ThrowsClearError(string json, string expected)
    {
        var error = Assert.Throws<ControlProtocolException>(() => Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Codec_OversizedLengthPrefix_Throws()
    {
        byte[] raw = [0, 2, 0, 0, (byte)'{'];
        var error = Assert.Throws<ControlProtocolException>(() => ControlCodec.TryParse(new ReadOnlySequence<byte>(raw), out _, out _));
        Assert.Contains("outside", error.Message);
    }

    [Fact]
    public void Codec_MessageArrivingOneByteAtATime_ParsesOnceComplete()
    {
        var output = new ArrayBufferWriter<byte>();
        ControlCodec.Write(new Shutdown { Reason = "bye" }, output);
        byte[] wire = output.WrittenSpan.ToArray();
        for (int length = 0; length < wire.Length; length++)
        {
            Assert.False(ControlCodec.TryParse(new ReadOnlySequence<byte>(wire, 0, length), out _, out _));
        }

        Assert.True(ControlCodec.TryParse(new ReadOnlySequence<byte>(wire), out var message, out _));
        Assert.Equal("bye", Assert.IsType<Shutdown>(message).Reason);
    }

    [Fact]
    public void StreamOpenHeader_EncodeDecode_RoundTrips()
    {
        var header = new StreamOpenHeader { Kind = StreamKind.Tls, Domain = "a.example", ClientAddress = "203.0.113.5:40000" };
        byte[] wire = header.Encode();
        Assert.Equal("""{"kind":"tls","domain":"a.example","clientAddress":"203.0.113.5:40000"}""", Encoding.UTF8.GetString(wire));
        Assert.Equal(header, StreamOpenHeader.Decode(wire));
        Assert.Throws<ControlProtocolException>(() => StreamOpenHeader.Decode("""{"kind":"ftp","clientAddress":"x"}"""u8));
    }

    private static ControlMessage Parse(byte[] json)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[] { 0, 0, (byte)(json.Length >> 8), (byte)json.Length });
        output.Write(json);
        ControlCodec.TryParse(new ReadOnlySequence<byte>(output.WrittenMemory), out var message, out _);
        return message!;
    }

    private static string Json(ControlMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        ControlCodec.Write(message, output);
        return Encoding.UTF8.GetString(output.WrittenSpan[4..]);
    }

    /// <summary>An agent and a node control channel on stream 1 of a mux session pair.</summary>
    private sealed class ChannelPair : IAsyncDisposable
    {
        private readonly MuxSession _client;
        private readonly MuxSession _server;

        private ChannelPair(MuxSession client, MuxSession server, ControlChannel agent, ControlChannel node)
        {
            _client = client;
            _server = server;
            Agent = agent;
            Node = node;
        }

        public ControlChannel Agent { get; }

        public ControlChannel Node { get; }

        public static async Task<ChannelPair> CreateAsync()
        {
            var (client, server) = MuxTestPeers.Sessions(pauseThreshold: 256);
            var agentStream = await client.OpenStreamAsync();
            await agentStream.Output.FlushAsync();
            var nodeStream = await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout);
            return new ChannelPair(client, server, new ControlChannel(agentStream), new ControlChannel(nodeStream!));
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            await _server.DisposeAsync();
        }
    }
}
