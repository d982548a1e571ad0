using System.Text.Json;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace Spokes.Actors.Serialization;

/// <summary>
/// Serializes every Spokes message and event as JSON under a short, stable manifest taken from
/// <see cref="WireRegistry"/>. A manifest that is not in the registry is refused: no type name read from
/// the wire or the journal is ever resolved.
/// </summary>
public sealed class SpokesSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4711;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        IncludeFields = false,
    };

    public override int Identifier => Id;

    public override byte[] ToBinary(object obj)
    {
        if (!WireRegistry.ManifestByType.ContainsKey(obj.GetType()))
            throw new SerializationException($"{obj.GetType().Name} is not a registered Spokes wire type");
        return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!WireRegistry.TypeByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown Spokes manifest '{manifest}'");
        return JsonSerializer.Deserialize(bytes, type, Options)
               ?? throw new SerializationException($"empty payload for manifest '{manifest}'");
    }

    public override string Manifest(object o) =>
        WireRegistry.ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().Name} is not a registered Spokes wire type");
}
