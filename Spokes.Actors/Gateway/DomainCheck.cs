using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Spokes.Actors.Configuration;

namespace Spokes.Actors.Gateway;

/// <summary>What <c>spokes settings domain</c> checks before moving the cluster to a name (docs/architecture.md,
/// "Domain at run time"): one line why the name is not ready, or null.</summary>
public interface IDomainCheck
{
    Task<string?> ProblemAsync(string domain, CancellationToken cancellationToken);
}

/// <summary>
/// The name resolves (within <see cref="ResolveTimeout"/>) to an address of this node — one of its interfaces, or the
/// host of <c>cluster.advertise</c> — and this node's HTTP and HTTPS ports answer a TCP connect on that address (within
/// <see cref="ProbeTimeout"/> each). Behind NAT or a load balancer the public address is not the node's own: the
/// operator overrides the check with <c>--force</c>. Both limits together stay under the CLI's 30 s wait with the
/// settings entity's own 15 s.
/// </summary>
public sealed class DomainCheck(SpokesConfig config) : IDomainCheck
{
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(4);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<string?> ProblemAsync(string domain, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(domain, cancellationToken);
        if (resolved.Problem is { } unresolved) return unresolved;
        var own = await OwnAddressesAsync(cancellationToken);
        if (Judge(domain, resolved.Addresses, own) is { } foreign) return foreign;
        var address = resolved.Addresses.Select(Plain).First(own.Contains);
        foreach (var (key, value) in new[] { ("listen.http", config.Listen.Http), ("listen.https", config.Listen.Https) })
        {
            var port = ConfigLoader.ParseEndpoint(key, value).Port;
            if (await ProbeAsync(new IPEndPoint(address, port), cancellationToken) is { } silent)
                return $"{domain} resolves to {address} but port {port} ({key}) there {silent}";
        }
        return null;
    }

    /// <summary>The decision on the addresses alone: null when one resolved address is one of <paramref name="own"/>.</summary>
    public static string? Judge(string domain, IReadOnlyList<IPAddress> resolved, IReadOnlySet<IPAddress> own)
    {
        if (resolved.Count == 0) return $"{domain} does not resolve to any address";
        if (resolved.Select(Plain).Any(own.Contains)) return null;
        return $"{domain} resolves to {string.Join(", ", resolved.Take(4))}, which is not an address of this node " +
               "or of cluster.advertise";
    }

    private static IPAddress Plain(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    private static async Task<(IReadOnlyList<IPAddress> Addresses, string? Problem)> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ResolveTimeout);
        try
        {
            return (await Dns.GetHostAddressesAsync(name, limit.Token), null);
        }
        catch (SocketException e)
        {
            return ([], $"{name} does not resolve ({e.SocketErrorCode})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], $"{name} did not resolve within {ResolveTimeout.TotalSeconds:0} s");
        }
    }

    private async Task<IReadOnlySet<IPAddress>> OwnAddressesAsync(CancellationToken cancellationToken)
    {
        var own = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => Plain(u.Address)))
            .ToHashSet();
        var advertise = string.IsNullOrEmpty(config.Cluster.Advertise) ? config.Listen.Https : config.Cluster.Advertise;
        var host = ConfigLoader.ParseEndpoint("cluster.advertise", advertise).Host;
        if (IPAddress.TryParse(host, out var literal)) own.Add(Plain(literal));
        else if ((await ResolveAsync(host, cancellationToken)).Addresses is { } addresses) own.UnionWith(addresses.Select(Plain));
        return own;
    }

    private static async Task<string?> ProbeAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ProbeTimeout);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, limit.Token);
            return null;
        }
        catch (SocketException e)
        {
            return $"does not answer ({e.SocketErrorCode})";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"does not answer within {ProbeTimeout.TotalSeconds:0} s";
        }
    }
}
