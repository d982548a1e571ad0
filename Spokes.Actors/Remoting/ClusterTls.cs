using System.Security.Cryptography.X509Certificates;
using Akka.Actor.Setup;

namespace Spokes.Actors.Remoting;

/// <summary>The cluster certificate the cluster port presents and pins, handed to the actor system as a setup
/// so that it never appears in HOCON (docs/architecture.md, "The cluster port").</summary>
public sealed class ClusterTlsSetup(X509Certificate2 certificate) : Setup
{
    public X509Certificate2 Certificate { get; } = certificate;
}

/// <summary>The remoting configuration of nodes and of the CLI: one transport, <see cref="ClusterTlsTransport"/>.</summary>
public static class ClusterTls
{
    /// <summary>Addresses keep the scheme they had under Akka's own TLS transport: <c>akka.ssl.tcp://spokes@host:port</c>.</summary>
    public const string Scheme = "ssl.tcp";

    /// <summary>The largest remoting message; a listing of a few thousand tokens or domains is one answer.</summary>
    public const string MaximumFrameSize = "4MiB";

    public static string Hocon(string host, int port) => $$"""
        akka.remote {
          enabled-transports = ["akka.remote.spokes-tls"]
          spokes-tls {
            transport-class = "{{typeof(ClusterTlsTransport).FullName}}, {{typeof(ClusterTlsTransport).Assembly.GetName().Name}}"
            applied-adapters = []
            hostname = "{{host}}"
            port = {{port}}
            maximum-frame-size = {{MaximumFrameSize}}
            connection-timeout = 15s
            tls-handshake-timeout = 10s
            flush-wait-on-shutdown = 2s
          }
        }
        """;

    /// <summary>Pinning: the peer must present exactly the cluster certificate (self-signed, so the chain
    /// errors are expected and irrelevant).</summary>
    internal static bool IsClusterCertificate(X509Certificate2 cluster, X509Certificate? presented) =>
        presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(cluster.RawData);
}
