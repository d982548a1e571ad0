using Cocona;
using Spokes.Actors.Gateway;

namespace Spokes.Cli.Commands;

public sealed class SettingsCommands(AdminSession session)
{
    [Command("tunnel", Description = "Show the tunnel options in force; with values, change them for the whole cluster (no restart)")]
    public Task<int> Tunnel([Option("max-pool-size")] int? maxPoolSize = null, [Option("max-ports")] int? maxPorts = null,
        [Option("json")] bool json = false) =>
        session.RunAsync<TunnelOptionsReply>(new TunnelOptionsRequest(maxPoolSize, maxPorts), reply =>
        {
            if (json) AdminSession.PrintJson(reply);
            else Console.WriteLine($"maxPoolSize: {reply.MaxPoolSize}\nmaxPorts: {reply.MaxPorts}");
        });
}
