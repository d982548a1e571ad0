using Akka.Cluster.Sharding;

namespace Spokes.Actors.Entities;

/// <summary>Routes an <see cref="IEntityMessage"/> of one entity type to its shard and entity.</summary>
public sealed class EntityExtractor<TMessage>() : HashCodeMessageExtractor(MaxShards)
    where TMessage : IEntityMessage
{
    public const int MaxShards = 50;

    public override string? EntityId(object message) => message switch
    {
        TMessage m => m.EntityId,
        _ => null,
    };
}
