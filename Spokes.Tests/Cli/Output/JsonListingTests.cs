using System.Collections.Immutable;
using System.Text.Json;
using Spokes.Actors.Gateway;
using Spokes.Cli.Output;

namespace Spokes.Tests.Cli.Output;

/// <summary>The <c>--json</c> keys of SPEC §5 for rows the end-to-end tests cannot produce without an
/// agent (leased ports).</summary>
public sealed class JsonListingTests
{
    private static JsonElement Serialize<T>(T value) =>
        JsonDocument.Parse(JsonSerializer.Serialize(value, Formats.Json)).RootElement.Clone();

    [Fact]
    public void PortDto_Json_HasSpecKeys()
    {
        var port = Serialize(ImmutableList.Create(new PortDto(22001, "agent", "t1", true, 60, 1, 2, "db:5432")))[0];
        Assert.Equal(22001, port.GetProperty("port").GetInt32());
        Assert.Equal("agent", port.GetProperty("user").GetString());
        Assert.Equal("t1", port.GetProperty("tunnelId").GetString());
        Assert.True(port.GetProperty("online").GetBoolean());
    }

    [Fact]
    public void TunnelDto_Json_HasSpecKeys()
    {
        var tunnel = Serialize(new TunnelDto("t1", "agent", "app", true, "1.2.3.4:5", 60, 1, 2, DateTimeOffset.UnixEpoch, "active", [22001], "n1"));
        foreach (var key in new[] { "id", "user", "hostname", "online", "address", "uptimeSeconds", "bytesDaily", "bytesMonthly", "created", "state" })
            Assert.True(tunnel.TryGetProperty(key, out _), key);
    }
}
