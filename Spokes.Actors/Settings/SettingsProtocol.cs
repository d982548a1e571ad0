using Spokes.Actors.Entities;

namespace Spokes.Actors.Settings;

/// <summary>Settings that change at run time, cluster-wide, without a restart. Everything else stays in
/// config.json.</summary>
public interface ISettingsMessage : IEntityMessage;

public static class SettingsIds
{
    public const string Server = "server";
}

/// <summary>Sets the tunnel options every node applies from now on (maxPoolSize, maxPorts).</summary>
public sealed record UpdateTunnelOptions(string EntityId, int MaxPoolSize, int MaxPorts, string By) : ISettingsMessage;
public sealed record GetSettings(string EntityId) : ISettingsMessage;
public sealed record SettingsReply(SettingsState Settings) : IWireMessage;

public sealed record TunnelOptionsChanged(int MaxPoolSize, int MaxPorts, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"tunnel options: maxPoolSize {MaxPoolSize}, maxPorts {MaxPorts}";
}

/// <summary>Run-time overrides of config.json; null means "as configured".</summary>
public sealed record SettingsState : IWireMessage
{
    public static readonly SettingsState Empty = new();
    public int? MaxPoolSize { get; init; }
    public int? MaxPorts { get; init; }
    public DateTimeOffset Updated { get; init; }

    public Decision Decide(ISettingsMessage command, DateTimeOffset now) => command switch
    {
        GetSettings => Decision.Answer(),
        UpdateTunnelOptions u when u.MaxPoolSize is < 1 or > 64 => Decision.Refuse(ErrorCode.Invalid, "maxPoolSize must be between 1 and 64"),
        UpdateTunnelOptions u when u.MaxPorts is < 0 or > 65535 => Decision.Refuse(ErrorCode.Invalid, "maxPorts must be between 0 and 65535"),
        UpdateTunnelOptions u => Decision.Persist(new TunnelOptionsChanged(u.MaxPoolSize, u.MaxPorts, now, u.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public SettingsState Apply(IDomainEvent e) => e switch
    {
        TunnelOptionsChanged t => this with { MaxPoolSize = t.MaxPoolSize, MaxPorts = t.MaxPorts, Updated = t.At },
        _ => this,
    };
}

/// <summary>Published after a change so that every node's <c>TunnelOptionsSource</c> follows it.</summary>
public sealed record SettingsChanged(SettingsState Settings) : IWireMessage
{
    public const string Topic = "spokes-settings";
}
