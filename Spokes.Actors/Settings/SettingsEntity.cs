using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Settings;

/// <summary>The cluster's run-time settings (one entity, id "server"). After a change it tells every node.</summary>
public sealed class SettingsEntity : EntityActor<SettingsState, ISettingsMessage>
{
    public const string Kind = "settings";

    public SettingsEntity(string entityId, TimeProvider time) : base(Kind, entityId, SettingsState.Empty, ActorRefs.Nobody, time) { }

    public static Props Props(string entityId, TimeProvider time) => Akka.Actor.Props.Create(() => new SettingsEntity(entityId, time));

    protected override SettingsState Apply(SettingsState state, IDomainEvent e) => state.Apply(e);

    protected override Decision Decide(SettingsState state, ISettingsMessage message, DateTimeOffset now) =>
        state.Decide(message, now);

    protected override void OnPersisted(SettingsState state) =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(SettingsChanged.Topic, new SettingsChanged(state)));

    protected override IWireMessage StateReply(SettingsState state) => new SettingsReply(state);

    // The settings are not listed by the catalog: nodes read them from the entity directly.
    protected override IWireMessage CatalogUpsert(SettingsState state, long sequenceNr) => new SettingsReply(state);
}
