using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;

namespace Spokes.Admin.Services;

/// <summary>What config.json asks for (shown as the meaning of <see cref="TlsMode.Configured"/>).</summary>
public enum ConfiguredTls { SelfSigned, CustomCertificate, LetsEncrypt }

/// <summary>What the settings page shows: the domain, the tunnel options and the SOCKS entry point in force now
/// (config.json's values until changed at run time); the TLS mode config.json asks for.</summary>
public sealed record ServerSettingsDto(string Domain, ConfiguredTls Tls, string Certificate, string AcmeEmail,
    int MaxPoolSize, int MaxPorts, int PortRangeBegin, int PortRangeEnd, SocksConfig Socks, bool Monitor = false,
    int MonitorIntervalSeconds = 60, bool AutoHostnames = false);

public sealed record TunnelOptionsDto(int MaxPoolSize, int MaxPorts, bool Monitor = false, int MonitorIntervalSeconds = 60,
    bool AutoHostnames = false);

public interface IServerSettings
{
    ServerSettingsDto Current();

    /// <summary>Changes maxPoolSize and maxPorts for the whole cluster, durably and without a restart.</summary>
    Task<Outcome<TunnelOptionsDto>> UpdateTunnelOptionsAsync(int maxPoolSize, int maxPorts, string by, bool? monitor = null,
        int? monitorIntervalSeconds = null, bool? autoHostnames = null);

    /// <summary>Changes the SOCKS ports and allow-list for the whole cluster, durably and without a restart.</summary>
    Task<Outcome<SocksSettingsReply>> UpdateSocksAsync(int port, int tlsPort, IReadOnlyList<string> allow, string by);

    /// <summary>Moves the cluster to <paramref name="domain"/>, after the DNS and port check unless <paramref name="force"/>.</summary>
    Task<Outcome<DomainSettingsReply>> ChangeDomainAsync(string domain, bool force, string by);

    /// <summary>The TLS mode in force cluster-wide.</summary>
    Task<Outcome<TlsChoiceDto>> CurrentTlsAsync();

    /// <summary>Validates the choice (certificate against the domain, email), seals the key, and has every node apply it.</summary>
    Task<Outcome<TlsChoiceDto>> ApplyTlsAsync(TlsRequest request, string by);
}

public sealed partial class ServerSettings(SpokesConfig config, AdminOperations operations, SecretBox secrets,
    ITlsCertificateCheck certificates) : IServerSettings
{
    public ServerSettingsDto Current()
    {
        var options = operations.CurrentTunnelOptions;
        return new ServerSettingsDto(operations.ServerDomain.Current, ModeOf(config.Tls), config.Tls.Certificate, config.Tls.AcmeEmail,
            options.MaxPoolSize, options.MaxPorts, config.PortRange.Begin, config.PortRange.End, operations.Socks.Current,
            options.Monitor.Enabled, options.Monitor.IntervalSeconds, options.AutoHostnames);
    }

    public static ConfiguredTls ModeOf(TlsConfig tls) =>
        tls.UseLE ? ConfiguredTls.LetsEncrypt
        : string.IsNullOrWhiteSpace(tls.Certificate) ? ConfiguredTls.SelfSigned
        : ConfiguredTls.CustomCertificate;

    public async Task<Outcome<TunnelOptionsDto>> UpdateTunnelOptionsAsync(int maxPoolSize, int maxPorts, string by, bool? monitor = null,
        int? monitorIntervalSeconds = null, bool? autoHostnames = null)
    {
        try
        {
            // The settings entity validates the ranges; its refusal is the message shown.
            return (await operations.UpdateTunnelOptionsAsync(maxPoolSize, maxPorts, by, monitor, monitorIntervalSeconds, autoHostnames)).ToOutcome(r =>
            {
                var now = operations.CurrentTunnelOptions;
                return r is SettingsReply ? new TunnelOptionsDto(now.MaxPoolSize, now.MaxPorts, now.Monitor.Enabled, now.Monitor.IntervalSeconds, now.AutoHostnames) : null;
            });
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return Outcome<TunnelOptionsDto>.Failure("the cluster did not answer in time");
        }
    }

    // HandleAsync answers a timeout with a refusal itself.
    public async Task<Outcome<DomainSettingsReply>> ChangeDomainAsync(string domain, bool force, string by) =>
        (await operations.HandleAsync(new DomainSettingsRequest(domain, force), by)).ToOutcome(r => r as DomainSettingsReply);

    public async Task<Outcome<SocksSettingsReply>> UpdateSocksAsync(int port, int tlsPort, IReadOnlyList<string> allow, string by)
    {
        try
        {
            return (await operations.UpdateSocksAsync(port, tlsPort, allow, by)).ToOutcome(r => r is SettingsReply
                ? new SocksSettingsReply(operations.Socks.Current.Port, operations.Socks.Current.TlsPort, operations.Socks.Current.Allow)
                : null);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return Outcome<SocksSettingsReply>.Failure("the cluster did not answer in time");
        }
    }
}
