using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Tokens;

public sealed class ApiKeyEntity : EntityActor<ApiKeyState, IApiKeyMessage>
{
    public const string Kind = "apikey";

    public ApiKeyEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, ApiKeyState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new ApiKeyEntity(entityId, catalog, time));

    protected override ApiKeyState Apply(ApiKeyState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(ApiKeyState state, IApiKeyMessage message, DateTimeOffset now) => state.Decide(message, now);
    protected override IWireMessage StateReply(ApiKeyState state) => new ApiKeyReply(state);
    protected override IWireMessage CatalogUpsert(ApiKeyState state, long sequenceNr) => new ApiKeyUpserted(PersistenceId, sequenceNr, state);
}
