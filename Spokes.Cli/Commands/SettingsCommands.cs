using Cocona;
using Spokes.Actors.Gateway;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

public sealed class SettingsCommands(AdminSession session)
{
    [Command("tunnel", Description = "Show the tunnel options in force; with values, change them for the whole cluster (no restart)")]
    public Task<int> Tunnel([Option("max-pool-size")] int? maxPoolSize = null, [Option("max-ports")] int? maxPorts = null,
        [Option("monitor", Description = "on|off: agents check their rules' and leases' destinations")] string? monitor = null,
        [Option("monitor-interval", Description = "seconds between checks (1-86400)")] int? monitorInterval = null,
        [Option("auto-hostnames", Description = "on|off: every tunnel also answers as <generated name>.<domain> (its first HTTP rule)")] string? autoHostnames = null,
        [Option("json")] bool json = false) =>
        session.RunAsync<TunnelOptionsReply>(new TunnelOptionsRequest(maxPoolSize, maxPorts, OnOff("--monitor", monitor), monitorInterval,
            OnOff("--auto-hostnames", autoHostnames)), reply =>
        {
            if (json) AdminSession.PrintJson(reply);
            else
                Console.WriteLine($"maxPoolSize: {reply.MaxPoolSize}\nmaxPorts: {reply.MaxPorts}\n" +
                                  $"monitor: {(reply.Monitor ? "on" : "off")}\nmonitorInterval: {reply.MonitorIntervalSeconds} s\n" +
                                  $"autoHostnames: {(reply.AutoHostnames ? "on" : "off")}");
        });

    private static bool? OnOff(string option, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "on" or "true" => true,
        "off" or "false" => false,
        _ => throw CliException.BadArguments($"{option} takes on or off, not '{value}'"),
    };

    [Command("socks", Description = "Show the SOCKS5 entry point in force; with values, change it for the whole cluster (no restart)")]
    public Task<int> Socks([Option("port", Description = "SOCKS5 port, 0 = off")] int? port = null,
        [Option("tls-port", Description = "SOCKS5-inside-TLS port, 0 = off")] int? tlsPort = null,
        [Option("allow", Description = "Comma-separated CIDR networks, hostnames and *.wildcards outside the tunnels; \"\" clears")] string? allow = null,
        [Option("json")] bool json = false) =>
        session.RunAsync<SocksSettingsReply>(new SocksSettingsRequest(port, tlsPort, allow?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)),
            reply =>
            {
                if (json) AdminSession.PrintJson(reply);
                else
                    Console.WriteLine($"port: {Off(reply.Port)}\ntlsPort: {Off(reply.TlsPort)}\nallow: " +
                                      (reply.Allow.Length == 0 ? "(none)" : string.Join(", ", reply.Allow)));
            });

    [Command("domain", Description = "Show the server's domain; with --name, move the whole cluster to it (no restart)")]
    public Task<int> Domain([Option("name", Description = "the new domain; checked first: it resolves to this node and the HTTP/HTTPS ports answer")] string? name = null,
        [Option("force", Description = "apply without the DNS and port check")] bool force = false,
        [Option("json")] bool json = false)
    {
        if (force && name is null) throw CliException.BadArguments("--force goes with --name");
        return session.RunAsync<DomainSettingsReply>(new DomainSettingsRequest(name, force), reply =>
        {
            if (json) AdminSession.PrintJson(reply);
            else if (name is null) Console.WriteLine($"domain: {reply.Domain}");
            else Console.WriteLine($"domain: {reply.Domain}\ncheck: {reply.Check}");
        });
    }

    private static string Off(int port) => port == 0 ? "0 (off)" : port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
