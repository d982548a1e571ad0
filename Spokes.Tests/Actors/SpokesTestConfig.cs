using Akka.Configuration;
using Spokes.Actors.Hosting;

namespace Spokes.Tests.Actors;

/// <summary>ActorSystem configuration for entity tests: in-memory journal and snapshot store, the Spokes
/// serializer bindings, and optionally every local message round-tripped through its serializer.</summary>
internal static class SpokesTestConfig
{
    /// <param name="serializeMessages">Round-trip every local message. Akka's own local messages (system
    /// guardian, persistence) fall back to the <c>json</c> serializer, which Spokes replaces with one that
    /// refuses; for these tests <c>json</c> is a recording Newtonsoft serializer instead, so a Spokes type
    /// that missed its binding still shows up.</param>
    public static Config Create(bool serializeMessages = false) =>
        ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor.serialize-messages = {{(serializeMessages ? "on" : "off")}}
            {{(serializeMessages ? $"akka.actor.serializers.json = \"{typeof(Serialization.RecordingJsonSerializer).AssemblyQualifiedName}\"" : "")}}
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """)
            .WithFallback(ConfigurationFactory.ParseString(SpokesHocon.Serialization));
}
