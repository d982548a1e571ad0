using Akka.Actor;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Tokens;

public sealed class AuthTokenEntity : EntityActor<AuthTokenState, IAuthTokenMessage>
{
    public const string Kind = "authtoken";

    public AuthTokenEntity(string entityId, IActorRef catalog, TimeProvider time)
        : base(Kind, entityId, AuthTokenState.Empty, catalog, time) { }

    public static Props Props(string entityId, IActorRef catalog, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new AuthTokenEntity(entityId, catalog, time));

    protected override AuthTokenState Apply(AuthTokenState state, IDomainEvent e) => state.Apply(e);
    protected override Decision Decide(AuthTokenState state, IAuthTokenMessage message, DateTimeOffset now) =>
        state.Decide(message, now);
    protected override IWireMessage StateReply(AuthTokenState state) => new AuthTokenReply(state);
    protected override IWireMessage CatalogUpsert(AuthTokenState state, long sequenceNr) =>
        new AuthTokenUpserted(PersistenceId, sequenceNr, state);
}
