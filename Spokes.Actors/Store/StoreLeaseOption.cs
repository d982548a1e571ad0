using Akka.Actor.Setup;
using Akka.Hosting;
using Akka.Hosting.Coordination;

namespace Spokes.Actors.Store;

/// <summary>Akka.Hosting option for <see cref="StoreLease"/>: the split brain resolver's lease, held while a decision
/// is carried out; a crashed holder loses it after <see cref="HeartbeatTimeout"/>.</summary>
public sealed class StoreLeaseOption : LeaseOptionBase
{
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    public override string ConfigPath => "spokes.store-lease";

    public override Type Class => typeof(StoreLease);

    public override void Apply(AkkaConfigurationBuilder builder, Setup? setup = null) =>
        builder.AddHocon($$"""
            {{ConfigPath}} {
              lease-class = "{{Class.AssemblyQualifiedName}}"
              heartbeat-timeout = {{HeartbeatTimeout.TotalSeconds}}s
              heartbeat-interval = {{HeartbeatInterval.TotalSeconds}}s
              lease-operation-timeout = 3s
            }
            """, HoconAddMode.Prepend);
}
