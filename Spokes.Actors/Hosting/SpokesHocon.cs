using Spokes.Actors.Serialization;

namespace Spokes.Actors.Hosting;

/// <summary>HOCON shared by nodes and the CLI client.</summary>
public static class SpokesHocon
{
    public const string SystemName = "spokes";

    /// <summary>Binds every Spokes type to <see cref="SpokesSerializer"/> and replaces the default JSON
    /// serializer (which would resolve type names from the wire) with one that refuses.</summary>
    public static readonly string Serialization = $$"""
        akka.actor {
          serialize-messages = off
          serializers {
            spokes = "{{typeof(SpokesSerializer).AssemblyQualifiedName}}"
            json = "{{typeof(RefusingSerializer).AssemblyQualifiedName}}"
          }
          serialization-bindings {
            "Spokes.Actors.Entities.IWireMessage, Spokes.Actors" = spokes
          }
        }
        """;

    /// <summary>Logging: plain lines on stdout; dead letters are not logged, because their text would
    /// carry message contents.</summary>
    public static readonly string Logging = $$"""
        akka {
          loggers = ["{{typeof(NodeLogger).AssemblyQualifiedName}}"]
          loglevel = INFO
          stdout-loglevel = INFO
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          log-config-on-start = off
          actor.debug { receive = off, autoreceive = off, lifecycle = off, unhandled = off }
          remote {
            log-remote-lifecycle-events = off
            log-received-messages = off
            log-sent-messages = off
          }
        }
        """;

    /// <summary>Cluster tuning (docs/architecture.md, "Failure detection and downing"): a crashed node is unreachable
    /// after ~3 s, downed after 5 s more of stable membership, its shards and singletons move once it is downed;
    /// routing does not wait for any of that. A lone node is up at once; stopping hands shards off quickly.</summary>
    public const string Cluster = """
        akka.cluster {
          failure-detector {
            heartbeat-interval = 1s
            acceptable-heartbeat-pause = 3s
            threshold = 8.0
          }
          sharding {
            handoff-timeout = 5s
            passivate-idle-entity-after = 10m
            least-shard-allocation-strategy.rebalance-absolute-limit = 5
          }
          run-coordinated-shutdown-when-down = on
          split-brain-resolver {
            stable-after = 5s
            down-all-when-unstable = off
            lease-majority.acquire-lease-delay-for-minority = 2s
          }
        }
        akka.cluster.distributed-data.notify-subscribers-interval = 100ms
        akka.cluster.distributed-data.gossip-interval = 1s
        # The proxy's "failed to find the singleton after 30 seconds" fires at every start, before the
        # cluster is up; a catalog that is really missing shows as listings that time out.
        akka.cluster.singleton-proxy.log-singleton-identification-failure = off
        akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 5s
        akka.coordinated-shutdown.exit-clr = off
        # The node's lifetime drains and then stops the host, which runs coordinated shutdown; not the CLR exit hook.
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """;
}
