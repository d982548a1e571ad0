using System.Buffers;
using Spokes.Edge.Sniffing;
using Spokes.Tests.Support;
using static Spokes.Tests.Support.HelloBuilder;

namespace Spokes.Tests.Edge.Sniffing;

public class ClientHelloParserTests
{
    private static SniffResult Parse(byte[] bytes, out ClientHelloInfo? info) =>
        ClientHelloParser.TryParse(new ReadOnlySequence<byte>(bytes), out info);

    [Fact]
    public async Task TryParse_RealClientHello_FindsLowercaseSniAndAlpnInOrder()
    {
        var hello = await ClientHelloCapture.CaptureAsync("App.Example.COM", "spokes/1", "h2", "http/1.1");

        Assert.Equal(SniffResult.Found, Parse(hello, out var info));
        Assert.Equal("app.example.com", info!.ServerName);
        Assert.Equal(["spokes/1", "h2", "http/1.1"], info.ApplicationProtocols);
        Assert.Equal(hello.Length, info.WireLength);
        Assert.True(info.Offers("spokes/1"));
    }

    [Fact]
    public async Task TryParse_RealClientHelloWithoutSniOrAlpn_FoundWithNulls()
    {
        var hello = await ClientHelloCapture.CaptureAsync("");

        Assert.Equal(SniffResult.Found, Parse(hello, out var info));
        Assert.Null(info!.ServerName);
        Assert.Empty(info.ApplicationProtocols);
    }

    [Fact]
    public async Task TryParse_EveryPrefixOfRealHello_NotEnoughDataUntilComplete()
    {
        var hello = await ClientHelloCapture.CaptureAsync("a.example.com", "spokes/1");

        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(SniffResult.NotEnoughData, Parse(hello[..length], out _));
        }
        Assert.Equal(SniffResult.Found, Parse(hello, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100)]
    public async Task TryParse_HelloSplitOverRecords_Found(int fragment)
    {
        var hello = ClientHelloCapture.Refragment(await ClientHelloCapture.CaptureAsync("split.example.com", "h2"), fragment);
        Assert.True(hello.Length <= ClientHelloParser.MaxWireLength);

        for (var length = 0; length < hello.Length; length += 1 + length / 8)
        {
            Assert.Equal(SniffResult.NotEnoughData, Parse(hello[..length], out _));
        }
        Assert.Equal(SniffResult.Found, ClientHelloParser.TryParse(Segments.Of(hello, 1), out var info));
        Assert.Equal("split.example.com", info!.ServerName);
        Assert.Equal(["h2"], info.ApplicationProtocols);
        Assert.Equal(hello.Length, info.WireLength);
    }

    [Fact]
    public async Task TryParse_BytesAfterHello_FoundWithWireLengthOfHelloOnly()
    {
        var hello = await ClientHelloCapture.CaptureAsync("a.example.com");
        var withMore = Concat(hello, [23, 3, 3, 0, 1, 42]);

        Assert.Equal(SniffResult.Found, Parse(withMore, out var info));
        Assert.Equal(hello.Length, info!.WireLength);
    }

    [Fact]
    public void TryParse_HandBuiltHello_Found()
    {
        Assert.Equal(SniffResult.Found, Parse(Record(ServerNameExtension("x.test."), AlpnExtension("spokes/1")), out var info));
        Assert.Equal("x.test", info!.ServerName);
        Assert.Equal(["spokes/1"], info.ApplicationProtocols);
    }

    [Fact]
    public void TryParse_HelloWithoutExtensionsBlock_FoundWithNulls()
    {
        Assert.Equal(SniffResult.Found, Parse(Record(null), out var info));
        Assert.Null(info!.ServerName);
    }

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "http request", "GET / HTTP/1.1\r\n"u8.ToArray() },
        { "alert record", [21, 3, 3, 0, 2, 2, 40] },
        { "ssl2 version", [22, 2, 0, 0, 5] },
        { "future record version", [22, 3, 9, 0, 5] },
        { "empty record", [22, 3, 1, 0, 0] },
        { "record over 16 KiB", [22, 3, 1, 0x40, 0x01] },
        { "server hello", [22, 3, 1, 0, 4, 2, 0, 0, 0] },
        { "hello over the bound", [22, 3, 1, 0x40, 0x00, 1, 0, 0x40, 0x00] },
        { "hello too short", [22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0] },
        { "non-handshake record after first", SplitThenAlert() },
        { "bad sni character", Record(ServerNameExtension("a b.test")) },
        { "empty sni", Record(ServerNameExtension("")) },
        { "sni extension twice", Record(ServerNameExtension("a.test"), ServerNameExtension("b.test")) },
        { "empty alpn protocol", Record(AlpnExtension("h2", "")) },
        { "empty alpn list", Record(Extension(16, U16(0))) },
        { "extension longer than block", FixLengths(Record(Extension(0, new byte[3]))[..^1]) },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void TryParse_Garbage_NotMine(string why, byte[] bytes)
    {
        Assert.True(SniffResult.NotMine == Parse(bytes, out var info), why);
        Assert.Null(info);
    }

    [Fact]
    public void TryParse_ManyTinyRecordsBeyondBound_NotMine()
    {
        // A legal handshake length, but sent one byte per record: the wire bound stops the wait.
        var hello = ClientHelloCapture.Refragment(Record(Extension(0xff01, new byte[4000])), 1);

        Assert.Equal(SniffResult.NotMine, Parse(hello, out _));
    }

    private static byte[] SplitThenAlert()
    {
        var split = ClientHelloCapture.Refragment(Record(ServerNameExtension("a.test")), 20);
        return Concat(split[..25], [21, 3, 3, 0, 2, 2, 40]);
    }

    /// <summary>Shortens a single-record hello by one byte and fixes record and handshake lengths so only the extension overruns.</summary>
    private static byte[] FixLengths(byte[] cut)
    {
        var handshakeLength = cut.Length - 5;
        cut[3] = (byte)(handshakeLength >> 8);
        cut[4] = (byte)handshakeLength;
        var bodyLength = handshakeLength - 4;
        cut[7] = (byte)(bodyLength >> 8);
        cut[8] = (byte)bodyLength;
        // extensions block length sits right after compression; it still claims the old size.
        return cut;
    }
}
