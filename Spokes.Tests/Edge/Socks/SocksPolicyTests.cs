using System.IO.Pipelines;
using System.Net;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Settings;
using Spokes.Edge.Socks;

namespace Spokes.Tests.Edge.Socks;

/// <summary>The open-proxy decision as units: these addresses are never connected to by a test.</summary>
public sealed class SocksPolicyTests
{
    private static readonly OwnListeners Own = new(new HashSet<IPAddress> { IPAddress.Parse("192.0.2.10") }, port => port is 443 or 4053);

    private static string? Refusal(string? host, string address, int port, params string[] allow) =>
        SocksPolicy.Refusal(host, IPAddress.Parse(address), port, SocksAllowList.Compile(allow), Own);

    [Theory]
    [InlineData("169.254.169.254", "link-local")] // the cloud metadata address
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd00:ec2::254", "unique-local")] // the metadata address over IPv6
    [InlineData("10.0.0.5", "private")]
    [InlineData("172.16.4.4", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.100.100.200", "shared")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:10.0.0.5", "private")]
    [InlineData("0.0.0.0", "this network")]
    [InlineData("224.0.0.1", "multicast")]
    public void SpecialAddresses_AreRefused_EvenUnderACatchAll(string address, string kind)
    {
        var refusal = Refusal(null, address, 80, "0.0.0.0/0", "::/0");
        Assert.NotNull(refusal);
        Assert.Contains(kind, refusal);
    }

    [Fact]
    public void PublicAddress_OnlyWhenANetworkOrTheNameAllowsIt()
    {
        Assert.Contains("not in socks.allow", Refusal(null, "203.0.113.7", 443));
        Assert.Contains("not in socks.allow", Refusal("api.example.net", "203.0.113.7", 443, "198.51.100.0/24", "other.example.net"));
        Assert.Null(Refusal(null, "203.0.113.7", 443, "203.0.113.0/24"));
        Assert.Null(Refusal("api.example.net", "203.0.113.7", 443, "api.example.net"));
        Assert.Null(Refusal("eu.api.example.net", "203.0.113.7", 443, "*.example.net"));
        Assert.Contains("not in socks.allow", Refusal("example.net", "203.0.113.7", 443, "*.example.net"));
    }

    [Fact]
    public void AllowedName_ResolvingToAPrivateAddress_IsRefused_UnlessANarrowNetworkOpensIt()
    {
        // DNS rebinding: the name is allowed, the address it resolved to is checked.
        Assert.Contains("private", Refusal("db.corp.example", "10.1.2.3", 5432, "*.corp.example"));
        Assert.Contains("private", Refusal("db.corp.example", "10.1.2.3", 5432, "*.corp.example", "0.0.0.0/0"));
        Assert.Null(Refusal("db.corp.example", "10.1.2.3", 5432, "10.1.0.0/16"));
        Assert.Null(Refusal(null, "10.1.2.3", 5432, "10.0.0.0/8"));
        Assert.Contains("private", Refusal(null, "10.1.2.3", 5432, "8.0.0.0/5"));
        Assert.Null(Refusal(null, "127.0.0.7", 7000, "127.0.0.7"));
        Assert.Null(Refusal(null, "169.254.169.254", 80, "169.254.169.254/32"));
    }

    [Theory]
    [InlineData("127.0.0.1", 443)]
    [InlineData("127.0.0.5", 4053)]
    [InlineData("192.0.2.10", 443)]
    [InlineData("::1", 4053)]
    public void OwnListeners_AreNeverReachable(string address, int port) =>
        Assert.Contains("own listeners", Refusal(null, address, port, "127.0.0.0/8", "192.0.2.0/24", "::1"));

    [Fact]
    public void OwnPort_OnAnotherMachine_IsAnOrdinaryDestination() =>
        Assert.Null(Refusal(null, "192.0.2.11", 443, "192.0.2.0/24"));

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("192.0.2.7", "192.0.2.7/32")]
    [InlineData("DB.Internal.", "db.internal")]
    [InlineData("*.Corp.Example", "*.corp.example")]
    public void AllowList_Canonical(string entry, string canonical)
    {
        Assert.Null(SocksAllowList.Canonical([entry], out var list));
        Assert.Equal([canonical], list);
    }

    [Theory]
    [InlineData("10.0.0.1/8", "bits set")]
    [InlineData("10.0.0.0/40", "prefix length")]
    [InlineData("*", "neither")]
    [InlineData("a.*.example", "neither")]
    [InlineData("exa mple.com", "neither")]
    public void AllowList_BadEntries_SayWhy(string entry, string reason) =>
        Assert.Contains(reason, SocksAllowList.Canonical([entry], out _));

    [Fact]
    public void Settings_RefuseBadSocksValues_AndKeepGoodOnes()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Contains("between 1 and 65535", Refused(new UpdateSocks(SettingsIds.Server, 70000, 0, [], "t")));
        Assert.Contains("must differ", Refused(new UpdateSocks(SettingsIds.Server, 1080, 1080, [], "t")));
        Assert.Contains("bits set", Refused(new UpdateSocks(SettingsIds.Server, 1080, 0, ["10.0.0.1/8"], "t")));
        var ok = SettingsState.Empty.Decide(new UpdateSocks(SettingsIds.Server, 1080, 1081, ["10.0.0.0/8"], "t"), now);
        var state = ok.Events.Aggregate(SettingsState.Empty, (s, e) => s.Apply(e));
        Assert.Equal((1080, 1081), (state.Socks!.Port, state.Socks.TlsPort));
        Assert.Equal(["10.0.0.0/8"], state.Socks.Allow);

        static string Refused(UpdateSocks command) =>
            Assert.IsType<Spokes.Actors.Entities.Refusal>(SettingsState.Empty.Decide(command, DateTimeOffset.UtcNow).Reply).Message;
    }
}

/// <summary>The SOCKS5 messages read exactly, whole or a byte at a time, never past their end.</summary>
public sealed class SocksProtocolTests
{
    [Fact]
    public async Task Messages_OneByteAtATime_AreReadExactly_AndLeaveWhatFollows()
    {
        var pipe = new Pipe();
        byte[] bytes =
        [
            5, 2, 0, 2, // greeting: no-auth, user/password
            1, 3, (byte)'a', (byte)'b', (byte)'c', 2, (byte)'p', (byte)'w', // credentials
            5, 1, 0, 3, 9, .. "localhost"u8.ToArray(), 0x1F, 0x90, // CONNECT localhost:8080
            (byte)'G', (byte)'E', (byte)'T',
        ];
        var writer = Task.Run(async () =>
        {
            foreach (var b in bytes)
            {
                await pipe.Writer.WriteAsync(new[] { b });
                await Task.Yield();
            }
        });
        Assert.Equal([0, 2], await SocksProtocol.ReadGreetingAsync(pipe.Reader, default));
        Assert.Equal(("abc", "pw"), await SocksProtocol.ReadCredentialsAsync(pipe.Reader, default));
        var request = await SocksProtocol.ReadRequestAsync(pipe.Reader, default);
        Assert.Equal(new SocksRequest(1, "localhost", null, 8080), request);
        await writer;
        var rest = await pipe.Reader.ReadAtLeastAsync(3);
        Assert.Equal("GET"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(rest.Buffer));
    }

    [Theory]
    [InlineData(new byte[] { 4, 1, 0 })] // SOCKS4
    [InlineData(new byte[] { 5, 0 })] // no methods
    [InlineData(new byte[] { 5, 3, 0 })] // ends early
    public async Task Greeting_Malformed_IsNull(byte[] bytes) => Assert.Null(await SocksProtocol.ReadGreetingAsync(Ended(bytes), default));

    [Fact]
    public async Task Request_ByAddressAndUnknownType()
    {
        var v4 = await SocksProtocol.ReadRequestAsync(Ended([5, 1, 0, 1, 127, 0, 0, 7, 0, 80]), default);
        Assert.Equal(new SocksRequest(1, null, IPAddress.Parse("127.0.0.7"), 80), v4);
        var literal = await SocksProtocol.ReadRequestAsync(Ended([5, 1, 0, 3, 3, (byte)'1', (byte)'.', (byte)'2', 0, 80]), default);
        Assert.Null(literal!.Host); // an address written as a name is an address, not a name the allow-list could match
        var unknown = await SocksProtocol.ReadRequestAsync(Ended([5, 1, 0, 9]), default);
        Assert.Equal(new SocksRequest(1, null, null, 0), unknown);
        Assert.Null(await SocksProtocol.ReadRequestAsync(Ended([5, 1, 0, 3, 2, (byte)'a', 0x0A, 0, 80]), default)); // control character
    }

    private static PipeReader Ended(byte[] bytes) => PipeReader.Create(new MemoryStream(bytes));
}
