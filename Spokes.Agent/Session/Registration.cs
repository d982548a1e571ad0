using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>One-shot connections: <c>configure --registration</c> trades a registration token for a key;
/// <c>deauth</c> revokes the key on the server.</summary>
internal static class Registration
{
    /// <summary>Attempts of a one-shot request the server answers <c>busy</c> (draining, not serving yet, or its
    /// cluster slow to answer); each retry dials again, so behind a balancer it may reach another node.</summary>
    internal const int Attempts = 4;

    public static Task<string> RegisterAsync(AgentConfig config, string registrationToken, CancellationToken cancellationToken) =>
        OneShotAsync(config, async channel => (await channel.RegisterAsync(new Register
        {
            ProtocolVersion = ControlProtocol.Version,
            RegistrationToken = registrationToken,
            UserId = config.Id,
            TunnelHostname = config.TunnelHostname,
        }, ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false)).Key, cancellationToken);

    public static Task<string> DeauthorizeAsync(AgentConfig config, string key, CancellationToken cancellationToken) =>
        OneShotAsync(config, async channel => (await channel.DeauthorizeAsync(
            new Deauthorize { ProtocolVersion = ControlProtocol.Version, Key = key },
            ControlProtocol.HandshakeTimeout, cancellationToken).ConfigureAwait(false)).TokenId, cancellationToken);

    private static async Task<string> OneShotAsync(AgentConfig config, Func<ControlChannel, Task<string>> request, CancellationToken cancellationToken)
    {
        var dialer = new NodeDialer(config);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var mux = await dialer.DialAsync(cancellationToken).ConfigureAwait(false);
                await using var channel = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: cancellationToken).ConfigureAwait(false));
                return await request(channel).ConfigureAwait(false);
            }
            catch (ControlRefusedException ex) when (ex.Code == RefusalCodes.Busy && attempt < Attempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
