using System.Text.Json;
using Akka.Event;
using Spokes.Actors.Hosting;

namespace Spokes.Tests.Actors.Hosting;

public sealed class NodeLoggerTests
{
    [Fact]
    public void AkkasOwnMessages_AreTold_FromSpokesActors()
    {
        Assert.True(NodeLogger.IsAkkas(new Info("akka://spokes/system/sharding", typeof(Akka.Cluster.Cluster), "Shard allocated")));
        Assert.False(NodeLogger.IsAkkas(new Info("akka://spokes/user/catalog", typeof(Spokes.Actors.Catalog.CatalogActor), "caught up")));
    }

    [Fact]
    public void Json_IsOneLineWithTheKeysOfAspNetCoresJsonConsole()
    {
        var line = NodeLogger.Json(new Warning("akka://spokes/user/x", typeof(NodeLoggerTests), "a \"quoted\"\nmessage"));
        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        Assert.Equal("Warning", json.RootElement.GetProperty("LogLevel").GetString());
        Assert.Equal("akka://spokes/user/x", json.RootElement.GetProperty("Category").GetString());
        Assert.Equal("a \"quoted\"\nmessage", json.RootElement.GetProperty("Message").GetString());
        Assert.True(DateTimeOffset.TryParse(json.RootElement.GetProperty("Timestamp").GetString(), out _));
    }

    [Fact]
    public void Text_IsOneLineInTheFormOfTheNodesOtherLines()
    {
        var line = NodeLogger.Text(new Info("akka://spokes/user/sessions/session-1", typeof(NodeLoggerTests), "tunnel t1 online"));
        Assert.Matches(@"^\d\d:\d\d:\d\d info: akka://spokes/user/sessions/session-1 tunnel t1 online$", line);
        Assert.StartsWith("fail: ", NodeLogger.Text(new Error(new InvalidOperationException("boom"), "x", typeof(NodeLoggerTests), "failed"))[9..]);
    }
}
