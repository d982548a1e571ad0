using System.Collections.Immutable;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Settings;

/// <summary>Settings that change at run time, cluster-wide, without a restart. Everything else stays in
/// config.json.</summary>
public interface ISettingsMessage : IEntityMessage;

public static class SettingsIds
{
    public const string Server = "server";
}

/// <summary>Sets the tunnel options every node applies from now on (maxPoolSize, maxPorts, and — when given — the
/// upstream monitor's switch and interval).</summary>
public sealed record UpdateTunnelOptions(string EntityId, int MaxPoolSize, int MaxPorts, string By, bool? Monitor = null,
    int? MonitorIntervalSeconds = null, bool? AutoHostnames = null) : ISettingsMessage;
/// <summary>Sets the SOCKS entry point every node runs from now on (ports, 0 = off, and <c>socks.allow</c> in canonical
/// form).</summary>
public sealed record UpdateSocks(string EntityId, int Port, int TlsPort, string[] Allow, string By) : ISettingsMessage;
/// <summary>Chooses how every node gets its HTTPS certificate. The console's service validates the certificate
/// first; <paramref name="SealedPrivateKey"/> is sealed with <c>SecretBox</c> (the entity never sees a plain key).</summary>
public sealed record ChooseTls(string EntityId, TlsMode Mode, string CertificatePem, string SealedPrivateKey, string AcmeEmail,
    string By) : ISettingsMessage;
/// <summary>Moves the whole cluster to another domain (<c>spokes settings domain</c>); the caller has checked DNS and the
/// ports (or was told to skip that). <paramref name="Domain"/> is lower case; <paramref name="Configured"/> is the asking
/// node's config.json domain, the previous one while none was set at run time.</summary>
public sealed record ChangeDomain(string EntityId, string Domain, string Configured, string By) : ISettingsMessage;
public sealed record GetSettings(string EntityId) : ISettingsMessage;
/// <summary>The ACME certificate the cluster obtained (chain PEM, key sealed), stored once and served by every node.</summary>
public sealed record SaveAcmeCertificate(string EntityId, string Domain, string ChainPem, string SealedKey, DateTimeOffset NotAfter, string By)
    : ISettingsMessage;
/// <summary>The cluster's ACME account key (sealed); kept only when none is stored yet (the first one wins).</summary>
public sealed record SaveAcmeAccount(string EntityId, string SealedKey, string By) : ISettingsMessage;
public sealed record SettingsReply(SettingsState Settings) : IWireMessage;

public sealed record TunnelOptionsChanged(int MaxPoolSize, int MaxPorts, DateTimeOffset At, string By, bool? Monitor = null,
    int? MonitorIntervalSeconds = null, bool? AutoHostnames = null) : IDomainEvent
{
    public string Describe() => $"tunnel options: maxPoolSize {MaxPoolSize}, maxPorts {MaxPorts}"
                                + (Monitor is { } on ? $", monitor {(on ? "on" : "off")}" : "")
                                + (MonitorIntervalSeconds is { } s ? $" every {s} s" : "")
                                + (AutoHostnames is { } auto ? $", automatic hostnames {(auto ? "on" : "off")}" : "");
}

public sealed record SocksChanged(int Port, int TlsPort, string[] Allow, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() =>
        $"SOCKS: port {(Port == 0 ? "off" : Port)}, TLS port {(TlsPort == 0 ? "off" : TlsPort)}, allow {(Allow.Length == 0 ? "(none)" : string.Join(", ", Allow))}";
}

public sealed record DomainChanged(string Domain, string Previous, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"domain changed from {Previous} to {Domain}";
}

public sealed record TlsChosen(TlsMode Mode, string CertificatePem, string SealedPrivateKey, string AcmeEmail,
    DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => $"TLS mode {Mode}" + (Mode == TlsMode.LetsEncrypt ? $" (account {AcmeEmail})" : "");
}

public sealed record AcmeCertificateSaved(string Domain, string ChainPem, string SealedKey, DateTimeOffset NotAfter, DateTimeOffset At, string By)
    : IDomainEvent
{
    public string Describe() => $"ACME certificate for {Domain} stored (valid until {NotAfter:yyyy-MM-dd})";
}

public sealed record AcmeAccountSaved(string SealedKey, DateTimeOffset At, string By) : IDomainEvent
{
    public string Describe() => "ACME account key stored";
}

/// <summary>An ACME certificate as the cluster keeps it.</summary>
public sealed record StoredAcmeCertificate(string Domain, string ChainPem, string SealedKey, DateTimeOffset NotAfter);

/// <summary>Run-time overrides of config.json; null means "as configured".</summary>
public sealed record SettingsState : IWireMessage
{
    public static readonly SettingsState Empty = new();
    public int? MaxPoolSize { get; init; }
    public int? MaxPorts { get; init; }
    public bool? Monitor { get; init; }
    public int? MonitorIntervalSeconds { get; init; }
    public bool? AutoHostnames { get; init; }
    public DateTimeOffset Updated { get; init; }
    public TlsChoice Tls { get; init; } = TlsChoice.Configured;
    /// <summary>The SOCKS entry point as last set at run time; null: as config.json says.</summary>
    public Configuration.SocksConfig? Socks { get; init; }
    public StoredAcmeCertificate? AcmeCertificate { get; init; }
    public string? SealedAcmeAccountKey { get; init; }
    /// <summary>The server's domain as last changed at run time; null: config.json's.</summary>
    public string? Domain { get; init; }
    /// <summary>Domains the cluster had before, newest first (at most <see cref="MaxFormerDomains"/>): agents that dial
    /// one of them are still recognised as agents.</summary>
    public ImmutableList<string> FormerDomains { get; init; } = [];

    public const int MaxFormerDomains = 8;

    public Decision Decide(ISettingsMessage command, DateTimeOffset now) => command switch
    {
        GetSettings => Decision.Answer(),
        UpdateTunnelOptions u when u.MaxPoolSize is < 1 or > 64 => Decision.Refuse(ErrorCode.Invalid, "maxPoolSize must be between 1 and 64"),
        UpdateTunnelOptions u when u.MaxPorts is < 0 or > 65535 => Decision.Refuse(ErrorCode.Invalid, "maxPorts must be between 0 and 65535"),
        UpdateTunnelOptions u when u.MonitorIntervalSeconds is < 1 or > 86_400 =>
            Decision.Refuse(ErrorCode.Invalid, "the monitor interval must be between 1 and 86400 seconds"),
        UpdateTunnelOptions u => Decision.Persist(new TunnelOptionsChanged(u.MaxPoolSize, u.MaxPorts, now, u.By, u.Monitor, u.MonitorIntervalSeconds, u.AutoHostnames)),
        UpdateSocks u when SocksProblem(u) is { } problem => Decision.Refuse(ErrorCode.Invalid, problem),
        UpdateSocks u => Decision.Persist(new SocksChanged(u.Port, u.TlsPort, u.Allow, now, u.By)),
        ChooseTls c when TlsChoice.Of(c).Problem() is { } problem => Decision.Refuse(ErrorCode.Invalid, problem),
        ChooseTls c => Decision.Persist(new TlsChosen(c.Mode, c.CertificatePem, c.SealedPrivateKey, c.AcmeEmail, now, c.By)),
        ChangeDomain c when Configuration.ConfigLoader.DomainProblem(c.Domain) is { } problem => Decision.Refuse(ErrorCode.Invalid, problem),
        ChangeDomain c when string.Equals(c.Domain, Domain ?? c.Configured, StringComparison.OrdinalIgnoreCase) => Decision.Answer(),
        ChangeDomain c => Decision.Persist(new DomainChanged(c.Domain, Domain ?? c.Configured, now, c.By)),
        SaveAcmeCertificate a => Decision.Persist(new AcmeCertificateSaved(a.Domain, a.ChainPem, a.SealedKey, a.NotAfter, now, a.By)),
        SaveAcmeAccount when SealedAcmeAccountKey is not null => Decision.Answer(),
        SaveAcmeAccount a => Decision.Persist(new AcmeAccountSaved(a.SealedKey, now, a.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public SettingsState Apply(IDomainEvent e) => e switch
    {
        TunnelOptionsChanged t => this with
        {
            MaxPoolSize = t.MaxPoolSize, MaxPorts = t.MaxPorts, Updated = t.At,
            Monitor = t.Monitor ?? Monitor, MonitorIntervalSeconds = t.MonitorIntervalSeconds ?? MonitorIntervalSeconds,
            AutoHostnames = t.AutoHostnames ?? AutoHostnames,
        },
        SocksChanged c => this with { Socks = new Configuration.SocksConfig { Port = c.Port, TlsPort = c.TlsPort, Allow = c.Allow }, Updated = c.At },
        TlsChosen t => this with { Tls = new TlsChoice(t.Mode, t.CertificatePem, t.SealedPrivateKey, t.AcmeEmail), Updated = t.At },
        AcmeCertificateSaved a => this with { AcmeCertificate = new StoredAcmeCertificate(a.Domain, a.ChainPem, a.SealedKey, a.NotAfter) },
        AcmeAccountSaved a => this with { SealedAcmeAccountKey = a.SealedKey },
        DomainChanged d => this with
        {
            Domain = d.Domain, Updated = d.At,
            FormerDomains = (d.Previous.Length == 0 ? FormerDomains : FormerDomains.Insert(0, d.Previous))
                .Where(f => !string.Equals(f, d.Domain, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase)
                .Take(MaxFormerDomains).ToImmutableList(),
        },
        _ => this,
    };

    private static string? SocksProblem(UpdateSocks u)
    {
        if (u.Port is < 0 or > 65535) return "the SOCKS port must be between 1 and 65535 (0 = off)";
        if (u.TlsPort is < 0 or > 65535) return "the SOCKS TLS port must be between 1 and 65535 (0 = off)";
        if (u.Port != 0 && u.Port == u.TlsPort) return "the SOCKS port and TLS port must differ";
        if (Configuration.SocksAllowList.Canonical(u.Allow, out var canonical) is { } bad) return bad;
        return canonical.SequenceEqual(u.Allow) ? null : "socks.allow entries must be in canonical form";
    }
}

/// <summary>Published after a change so that every node's <c>TunnelOptionsSource</c> follows it.</summary>
public sealed record SettingsChanged(SettingsState Settings) : IWireMessage
{
    public const string Topic = "spokes-settings";
}
