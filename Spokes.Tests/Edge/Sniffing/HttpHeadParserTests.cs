using System.Buffers;
using System.Text;
using Spokes.Edge.Sniffing;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Sniffing;

public class HttpHeadParserTests
{
    private static SniffResult Parse(string text, out HttpRequestHead? head) =>
        HttpHeadParser.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), out head);

    [Fact]
    public void TryParse_SimpleGet_FindsLowercaseHostWithoutPortAndHeadLength()
    {
        const string head = "GET /path?q=1 HTTP/1.1\r\nUser-Agent: t\r\nHost:  App.Example.COM:8080 \r\n\r\n";

        Assert.Equal(SniffResult.Found, Parse(head + "body", out var parsed));
        Assert.Equal("GET", parsed!.Method);
        Assert.Equal("/path?q=1", parsed.Target);
        Assert.Equal("HTTP/1.1", parsed.Version);
        Assert.Equal("app.example.com", parsed.Host);
        Assert.Equal(head.Length, parsed.HeadLength);
        Assert.Null(parsed.Upgrade);
        Assert.False(parsed.IsUpgrade);
    }

    [Fact]
    public void TryParse_EveryPrefix_NotEnoughDataUntilComplete()
    {
        const string head = "POST /x HTTP/1.0\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n";

        for (var length = 0; length < head.Length; length++)
        {
            Assert.Equal(SniffResult.NotEnoughData, Parse(head[..length], out _));
        }
        Assert.Equal(SniffResult.Found, Parse(head, out var parsed));
        Assert.Equal("HTTP/1.0", parsed!.Version);
    }

    [Fact]
    public void TryParse_OneByteSegments_Found()
    {
        var bytes = "GET / HTTP/1.1\r\nHost: seg.test\r\n\r\n"u8.ToArray();

        Assert.Equal(SniffResult.Found, HttpHeadParser.TryParse(Segments.Of(bytes, 1), out var parsed));
        Assert.Equal("seg.test", parsed!.Host);
        Assert.Equal(bytes.Length, parsed.HeadLength);
    }

    [Fact]
    public void TryParse_WebSocketUpgrade_ReportsUpgradeAndConnection()
    {
        const string head = "GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n";

        Assert.Equal(SniffResult.Found, Parse(head, out var parsed));
        Assert.Equal("websocket", parsed!.Upgrade);
        Assert.Equal("keep-alive, Upgrade", parsed.Connection);
        Assert.True(parsed.IsUpgrade);
    }

    [Theory]
    [InlineData("[::1]:8080", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("127.0.0.1:80", "127.0.0.1")]
    [InlineData("Example.com.", "example.com")]
    [InlineData("example.com:", "example.com")]
    public void TryParse_HostForms_Normalized(string host, string expected)
    {
        Assert.Equal(SniffResult.Found, Parse($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n", out var parsed));
        Assert.Equal(expected, parsed!.Host);
    }

    [Fact]
    public void TryParse_AbsoluteFormTarget_RoutedByItsAuthority_WhenHostAgrees()
    {
        Assert.Equal(SniffResult.Found, Parse("GET http://Real.test:81/a HTTP/1.1\r\nHost: real.TEST:81\r\n\r\n", out var parsed));
        Assert.Equal("real.test", parsed!.Host);
        Assert.Equal(SniffResult.Found, Parse("GET http://real.test/a HTTP/1.1\r\n\r\n", out parsed));
        Assert.Equal("real.test", parsed!.Host);
    }

    [Fact]
    public void TryParse_AbsoluteFormTarget_HostHeaderNamingAnotherHost_NotRouted()
    {
        // The edge would route by the target while the service reads the Host header (frp CVE-2026-40910's class).
        Assert.Equal(SniffResult.NotMine, Parse("GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n", out _));
    }

    [Fact]
    public void TryParse_NoHostHeader_FoundWithNullHost()
    {
        Assert.Equal(SniffResult.Found, Parse("GET / HTTP/1.0\r\n\r\n", out var parsed));
        Assert.Null(parsed!.Host);
    }

    [Theory]
    [InlineData("tls record", "\u0016\u0003\u0001\u0002\u0000")]
    [InlineData("method with bad char", "GE(T / HTTP/1.1\r\n\r\n")]
    [InlineData("empty method", " / HTTP/1.1\r\n\r\n")]
    [InlineData("method too long", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ / HTTP/1.1\r\n")]
    [InlineData("missing version", "GET /\r\n\r\n")]
    [InlineData("http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("other protocol", "GET / SPDY/3\r\n")]
    [InlineData("lowercase version", "GET / http/1.1\r\n")]
    [InlineData("bare lf after version", "GET / HTTP/1.1\n")]
    [InlineData("duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n")]
    [InlineData("obsolete line folding", "GET / HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n")]
    [InlineData("line without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n")]
    [InlineData("control char in value", "GET / HTTP/1.1\r\nX: a\u0001b\r\n\r\n")]
    [InlineData("host with userinfo", "GET / HTTP/1.1\r\nHost: u@a.test\r\n\r\n")]
    [InlineData("host with bad port", "GET / HTTP/1.1\r\nHost: a.test:8x\r\n\r\n")]
    [InlineData("host with path", "GET / HTTP/1.1\r\nHost: a.test/x\r\n\r\n")]
    public void TryParse_Garbage_NotMine(string why, string text)
    {
        Assert.True(SniffResult.NotMine == Parse(text, out var head), why);
        Assert.Null(head);
    }

    [Fact]
    public void TryParse_HeadLongerThanBound_NotMine()
    {
        var text = "GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: " + new string('a', HttpHeadParser.MaxHeadLength);

        Assert.Equal(SniffResult.NotMine, Parse(text, out _));
        Assert.Equal(SniffResult.NotEnoughData, Parse(text[..(HttpHeadParser.MaxHeadLength - 1)], out _));
    }
}
