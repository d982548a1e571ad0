using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>One-shot connections: <c>configure --registration</c> trades a registration token for a key;
/// <c>deauth</c> revokes the key on the server.</summary>
internal static class Registration
{
    public static async Task<string> RegisterAsync(AgentConfig config, string registrationToken, CancellationToken cancellationToken)
    {
        var dialer = new NodeDialer(config);
        await using var mux = await dialer.DialAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false));
        Registered registered = await channel.RegisterAsync(new Register
        {
            ProtocolVersion = ControlProtocol.Version,
            RegistrationToken = registrationToken,
            UserId = config.Id,
            TunnelHostname = config.TunnelHostname,
        }, ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        return registered.Key;
    }

    public static async Task<string> DeauthorizeAsync(AgentConfig config, string key, CancellationToken cancellationToken)
    {
        var dialer = new NodeDialer(config);
        await using var mux = await dialer.DialAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false));
        Deauthorized done = await channel.DeauthorizeAsync(new Deauthorize { ProtocolVersion = ControlProtocol.Version, Key = key },
            ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        return done.TokenId;
    }
}
