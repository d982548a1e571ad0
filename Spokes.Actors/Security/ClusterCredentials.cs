using System.Security.Cryptography.X509Certificates;

namespace Spokes.Actors.Security;

/// <summary>The cluster certificate of this process, for services that authenticate node to node
/// (remoting configures its own copy).</summary>
public sealed record ClusterCredentials(X509Certificate2 Certificate)
{
    /// <summary>The TLS name nodes use for each other: the cluster certificate's subject alternative name.</summary>
    public const string ServerName = "spokes-cluster";

    public bool IsCluster(X509Certificate? presented) =>
        presented is not null && string.Equals(presented.GetCertHashString(), Certificate.GetCertHashString(), StringComparison.OrdinalIgnoreCase);
}
