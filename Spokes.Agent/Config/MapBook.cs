using System.Globalization;
using System.Net;
using Spokes.Agent.Local;

namespace Spokes.Agent.Config;

/// <summary>Port map changes on the config (pure): validated, then added, replaced or removed by their listen address.</summary>
internal static class MapBook
{
    public const int MaxMaps = 64;

    /// <summary>The config with the change, or the failure and its one-line reason.</summary>
    public static (AgentConfig? Config, string? Failure, string? Error) Apply(AgentConfig config, LocalRequest request)
    {
        if (Listen(request.Listen) is { } badListen) return (null, LocalFailures.Invalid, badListen);
        var listen = Canonical(request.Listen!);
        switch (request.Op)
        {
            case LocalOps.MapAdd:
                if (To(request.To) is { } badTo) return (null, LocalFailures.Invalid, badTo);
                var others = config.Maps.Where(m => m.Listen != listen).ToList();
                if (others.Count >= MaxMaps) return (null, LocalFailures.Invalid, $"at most {MaxMaps} port maps");
                return (config with { Maps = [.. others, new PortMap(listen, request.To!.Trim())] }, null, null);
            case LocalOps.MapRemove:
                if (config.Maps.All(m => m.Listen != listen)) return (null, LocalFailures.NotFound, $"no port map listens on {listen}");
                return (config with { Maps = [.. config.Maps.Where(m => m.Listen != listen)] }, null, null);
            default:
                return (null, LocalFailures.Invalid, $"unknown op '{request.Op}'");
        }
    }

    /// <summary><c>address:port</c> with an IP address (a name could resolve elsewhere later): null when good.</summary>
    public static string? Listen(string? listen)
    {
        if (string.IsNullOrWhiteSpace(listen)) return "--listen ADDR:PORT is required";
        return IPEndPoint.TryParse(listen.Trim(), out var endpoint) && endpoint.Port is >= 1 and <= 65535 && listen.Contains(':')
            ? null
            : $"--listen '{listen}' is not an address and port (e.g. 127.0.0.1:5432)";
    }

    /// <summary><c>host:port</c>: null when good.</summary>
    public static string? To(string? to)
    {
        if (string.IsNullOrWhiteSpace(to)) return "--to HOST:PORT is required";
        to = to.Trim();
        var colon = to.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(to.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return $"--to '{to}' is not a host and port (e.g. db.example.com:5432)";
        var host = to[..colon].Trim('[', ']');
        return IPAddress.TryParse(host, out _) || host.Length <= 253 && Uri.CheckHostName(host) == UriHostNameType.Dns
            ? null
            : $"--to '{to}' does not name a host";
    }

    public static string Canonical(string listen) => IPEndPoint.Parse(listen.Trim()).ToString();
}
