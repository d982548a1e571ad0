using Cocona;
using Cocona.Application;
using Spokes.Agent.Config;
using Spokes.Agent.Session;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Commands;

/// <summary>configure and deauth: the server and the auth token.</summary>
internal sealed class ConfigureCommands(ConfigStore store, ICoconaAppContextAccessor context)
{
    [Command("configure", Description = "Set the server and the auth token (--key T), or mint one with --registration T. " +
        "Pass '-' as the token to read it from stdin, keeping it out of argv.")]
    public async Task<int> Configure(
        [Option("hostname", Description = "server name (also the TLS name)")] string hostname,
        [Option("port", Description = "server port (443)")] int port = AgentConfig.DefaultPort,
        [Option("address", Description = "IP to dial instead of resolving the hostname")] string? address = null,
        [Option("registration", Description = "registration token, or '-' for stdin")] string? registration = null,
        [Option("key", Description = "auth token, or '-' for stdin")] string? key = null,
        [Option("id", Description = "user id for registration")] string? id = null,
        [Option("tunnel-hostname", Description = "tunnel hostname for registration")] string? tunnelHostname = null,
        [Option("ca", Description = "PEM file trusted as the only root (self-signed server)")] string? ca = null)
    {
        if (registration is null == key is null)
        {
            throw CliException.BadArguments("give exactly one of --registration and --key");
        }

        if ((RuleValidation.Host(hostname, "--hostname") ?? RuleValidation.Port(port, "--port")) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        if (address is not null && !System.Net.IPAddress.TryParse(address, out _))
        {
            throw CliException.BadArguments($"--address '{address}' is not an IP address");
        }

        if (ca is not null && !File.Exists(ca))
        {
            throw CliException.BadArguments($"--ca file {ca} does not exist");
        }

        AgentConfig config = store.Load() with
        {
            Hostname = hostname,
            Port = port,
            Address = address,
            Ca = ca is null ? null : Path.GetFullPath(ca),
            Id = id,
            TunnelHostname = tunnelHostname,
        };

        string token;
        if (key is not null)
        {
            token = Secrets.Read(key, "--key");
        }
        else
        {
            try
            {
                token = await Registration.RegisterAsync(config, Secrets.Read(registration!, "--registration"),
                    context.Current?.CancellationToken ?? CancellationToken.None);
            }
            catch (ControlRefusedException ex)
            {
                throw new CliException(ExitCodes.Failed, $"registration refused by server: {ex.Message}");
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException
                or System.Security.Authentication.AuthenticationException or Tunnel.Mux.MuxException)
            {
                throw new CliException(ExitCodes.Unreachable, $"cannot reach {config.Server}: {ex.Message}");
            }
        }

        store.Save(config with { Key = token });
        Console.WriteLine("Agent configured");
        Console.WriteLine($"Auth token: {AgentConfig.Redact(token)}");
        Console.WriteLine($"Config: {store.Path}");
        return ExitCodes.Ok;
    }

    [Command("deauth", Description = "Revoke the auth token on the server (its tunnel is shut down), then remove it from the config")]
    public async Task<int> Deauth()
    {
        if (!store.Exists)
        {
            throw new CliException(ExitCodes.NotFound, $"no config at {store.Path}");
        }

        var config = store.Load();
        if (config.Key is not { Length: > 0 } key)
        {
            throw new CliException(ExitCodes.NotFound, "no auth token in the config");
        }

        string tokenId;
        try
        {
            tokenId = await Registration.DeauthorizeAsync(config, key, context.Current?.CancellationToken ?? CancellationToken.None);
        }
        catch (ControlRefusedException ex) when (ex.Code == RefusalCodes.Unauthorized)
        {
            // The server does not know the key (removed, or a store rebuilt): nothing is left to revoke there.
            store.Save(config with { Key = null });
            Console.WriteLine($"Auth token removed (the server did not know it: {ex.Message})");
            return ExitCodes.Ok;
        }
        catch (ControlRefusedException ex)
        {
            throw new CliException(ExitCodes.Failed, $"the server refused to revoke the auth token: {ex.Message}; it is kept in the config");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException
            or System.Security.Authentication.AuthenticationException or Tunnel.Mux.MuxException or ControlProtocolException)
        {
            throw new CliException(ExitCodes.Unreachable,
                $"cannot revoke the auth token: {config.Server}: {ex.Message}; it is kept in the config, run deauth again");
        }

        store.Save(config with { Key = null });
        Console.WriteLine($"Auth token {tokenId} revoked on the server and removed");
        return ExitCodes.Ok;
    }
}
