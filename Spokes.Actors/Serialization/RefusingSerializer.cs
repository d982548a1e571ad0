using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace Spokes.Actors.Serialization;

/// <summary>
/// Takes the place of Akka's default JSON serializer (identifier 1), which resolves type names found in
/// the payload. Anything that would have fallen back to it is refused instead, on both ends.
/// </summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    /// <summary>Akka passes the settings of the serializer it replaces; there is nothing to read in them.</summary>
    public RefusingSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : this(system)
    {
        _ = settings;
    }

    public override int Identifier => 1;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType().FullName} has no explicit serializer binding");

    public override object FromBinary(byte[] bytes, Type? type) =>
        throw new SerializationException("payload for the default JSON serializer refused");
}
