using System.Text.Json.Serialization;

namespace Spokes.Tunnel.Control;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowOutOfOrderMetadataProperties = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ControlMessage))]
[JsonSerializable(typeof(StreamOpenHeader))]
[JsonSerializable(typeof(MapOpenHeader))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
