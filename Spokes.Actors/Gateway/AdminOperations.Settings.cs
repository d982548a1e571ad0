using Akka.Hosting;
using Spokes.Actors.Entities;
using Spokes.Actors.Settings;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>The tunnel options in force on this node (config.json plus run-time changes).</summary>
    public Configuration.TunOptionsConfig CurrentTunnelOptions => options.Current;

    private async Task<IWireMessage> TunnelOptionsAsync(TunnelOptionsRequest r, string by)
    {
        if (r.MaxPoolSize is not null || r.MaxPorts is not null)
        {
            var reply = await UpdateTunnelOptionsAsync(r.MaxPoolSize ?? options.Current.MaxPoolSize, r.MaxPorts ?? options.Current.MaxPorts, by);
            if (reply is Refusal) return reply;
        }
        return new TunnelOptionsReply(options.Current.MaxPoolSize, options.Current.MaxPorts);
    }

    /// <summary>Changes maxPoolSize and maxPorts for the whole cluster, at once and durably.</summary>
    public async Task<IWireMessage> UpdateTunnelOptionsAsync(int maxPoolSize, int maxPorts, string by)
    {
        var settings = ActorRegistry.For(system).Get<SettingsEntity>();
        var reply = await AskAsync(settings, new UpdateTunnelOptions(SettingsIds.Server, maxPoolSize, maxPorts, by));
        if (reply is SettingsReply applied)
            options.Replace(options.Current with { MaxPoolSize = applied.Settings.MaxPoolSize ?? maxPoolSize, MaxPorts = applied.Settings.MaxPorts ?? maxPorts });
        return reply;
    }

    /// <summary>The cluster's run-time settings as the settings entity holds them.</summary>
    public Task<IWireMessage> GetSettingsAsync() =>
        AskAsync(ActorRegistry.For(system).Get<SettingsEntity>(), new GetSettings(SettingsIds.Server));

    /// <summary>Persists a TLS choice (validated and sealed by the caller); every node applies it on the change.</summary>
    public Task<IWireMessage> ChooseTlsAsync(ChooseTls command) =>
        AskAsync(ActorRegistry.For(system).Get<SettingsEntity>(), command);
}
