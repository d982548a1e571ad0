using System.Text.Json.Serialization;
using Spokes.Agent.Local;

namespace Spokes.Agent.Config;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(AgentConfig))]
[JsonSerializable(typeof(LocalRequest))]
[JsonSerializable(typeof(LocalResponse))]
[JsonSerializable(typeof(AgentStatus))]
[JsonSerializable(typeof(IReadOnlyList<Spokes.Tunnel.Control.HttpRule>))]
[JsonSerializable(typeof(IReadOnlyList<Spokes.Tunnel.Control.TcpRule>))]
[JsonSerializable(typeof(IReadOnlyList<PortMap>))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
