using System.Text.Json;
using Spokes.Actors.Gateway;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>Listings larger than Akka's default remoting frame (128,000 bytes) reach the CLI whole.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class LargeListingTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task TokenLs_SevenHundredTokens_OneAnswerBeyondTheDefaultFrameSize() => bed.Bed.ScenarioAsync(output, async () =>
    {
        for (var i = 0; i < 700; i++)
            Assert.IsType<AdminSecretCreated>(await bed.Bed.AdminAsync(new CreateTokenRequest($"bulk{i}.example.com")));

        var listed = (await bed.Bed.CliAsync("token", "ls", "--json", "--expand")).ExpectExit(0);

        Assert.True(listed.Output.Length > 128_000, $"{listed.Output.Length} bytes");
        using var json = JsonDocument.Parse(listed.Output);
        Assert.True(json.RootElement.GetArrayLength() >= 700);
    });
}
