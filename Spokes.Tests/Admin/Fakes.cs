using System.Collections.Immutable;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;
using Spokes.Admin.Services;

namespace Spokes.Tests.Admin;

internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

internal sealed class FakeAuditLog : IAuditLog
{
    public ImmutableList<AuditDto> Entries { get; set; } = [];
    public List<DateTimeOffset?> Asked { get; } = [];
    public Task<Outcome<ImmutableList<AuditDto>>> ListAsync(DateTimeOffset? since)
    {
        Asked.Add(since);
        return Task.FromResult(Outcome<ImmutableList<AuditDto>>.Success(Entries.Where(e => since is null || e.At >= since).ToImmutableList()));
    }
}

internal sealed class FakeTokens : ITokenService
{
    public Outcome<ImmutableList<RegistrationDto>> Registrations { get; set; } = Outcome<ImmutableList<RegistrationDto>>.Success([]);
    public Outcome<ImmutableList<TokenDto>> Tokens { get; set; } = Outcome<ImmutableList<TokenDto>>.Success([]);
    public Outcome<AdminSecretCreated> Created { get; set; } = Outcome<AdminSecretCreated>.Success(new AdminSecretCreated("id1", "v".PadLeft(40, 'a')));
    public List<string> Calls { get; } = [];

    public Task<Outcome<ImmutableList<RegistrationDto>>> ListRegistrationsAsync() => Task.FromResult(Registrations);
    public Task<Outcome<AdminSecretCreated>> CreateRegistrationAsync(string description, string by, int? maxUses = null,
        DateTimeOffset? expires = null)
    {
        Calls.Add($"create-reg {description} by {by}" + (maxUses is { } uses ? $" uses {uses}" : "")
            + (expires is { } until ? $" days {Math.Round((until - DateTimeOffset.UtcNow).TotalDays)}" : ""));
        return Task.FromResult(Created);
    }
    public Task<Outcome<RegistrationState>> SetRegistrationDescriptionAsync(string id, string description, string by) =>
        Task.FromResult(Outcome<RegistrationState>.Success(RegistrationState.Empty));
    public Task<Outcome<RegistrationState>> SetRegistrationActiveAsync(string id, bool active, string by) =>
        Task.FromResult(Outcome<RegistrationState>.Success(RegistrationState.Empty));
    public Task<Outcome<ImmutableList<TokenDto>>> ListTokensAsync() => Task.FromResult(Tokens);
    public Task<Outcome<AdminSecretCreated>> CreateTokenAsync(string hostname, string by) => Task.FromResult(Created);
    public Task<Outcome<AdminCount>> RevokeTokenAsync(string id, string by) => Task.FromResult(Outcome<AdminCount>.Success(new AdminCount(1)));
    public Outcome<ImmutableList<ApiKeyDto>> ApiKeys { get; set; } = Outcome<ImmutableList<ApiKeyDto>>.Success([]);
    public Task<Outcome<ImmutableList<ApiKeyDto>>> ListApiKeysAsync() => Task.FromResult(ApiKeys);
    public Task<Outcome<AdminSecretCreated>> CreateApiKeyAsync(string scope, string description, string by)
    {
        Calls.Add($"create-apikey {scope} {description} by {by}");
        return Task.FromResult(Outcome<AdminSecretCreated>.Success(new AdminSecretCreated("a1", "spk_secret")));
    }
    public Task<Outcome<AdminCount>> RevokeApiKeyAsync(string id, string by)
    {
        Calls.Add($"revoke-apikey {id} by {by}");
        return Task.FromResult(Outcome<AdminCount>.Success(new AdminCount(1)));
    }
}

internal sealed class FakeDirectory : ITunnelDirectory
{
    public Outcome<OverviewDto> Overview { get; set; } = Outcome<OverviewDto>.Success(new OverviewDto(0, 0, 0, 0, 0, []));
    public Outcome<TunnelDetailsDto> Details { get; set; } = Outcome<TunnelDetailsDto>.Failure("tunnel not found");
    public Outcome<ImmutableList<TunnelDto>> Tunnels { get; set; } = Outcome<ImmutableList<TunnelDto>>.Success([]);

    public Task<Outcome<OverviewDto>> OverviewAsync() => Task.FromResult(Overview);
    public Task<Outcome<ImmutableList<TunnelDto>>> ListAsync(bool includeShutdown) => Task.FromResult(Tunnels);
    public Task<Outcome<TunnelDetailsDto>> DetailsAsync(string id) => Task.FromResult(Details);
    public Task<Outcome<string>> ShutdownAsync(string id, string by) => Task.FromResult(Outcome<string>.Success("done"));
    public Task<Outcome<ImmutableList<UserTunnelsDto>>> UsersAsync() => Task.FromResult(Outcome<ImmutableList<UserTunnelsDto>>.Success([]));
    public Task<Outcome<ImmutableList<NodeDto>>> ClusterAsync() => Task.FromResult(Outcome<ImmutableList<NodeDto>>.Success([]));
    public Task<Outcome<string>> DrainAsync(string node, string by) => Task.FromResult(Outcome<string>.Success($"node {node} is draining"));
    public Outcome<TrafficHistoryReply> Traffic { get; set; } = Outcome<TrafficHistoryReply>.Success(new TrafficHistoryReply(null, 10, [], 1, 1));
    public Task<Outcome<TrafficHistoryReply>> TrafficAsync(string? tunnelId, TrafficPeriod period) => Task.FromResult(Traffic);
    /// <summary>The connections <see cref="ConnectionsAsync"/> pages through, newest first.</summary>
    public ImmutableList<ConnectionRecord> Connections { get; set; } = [];
    public Task<Outcome<TunnelConnectionsReply>> ConnectionsAsync(string tunnelId, int offset, int limit) =>
        Task.FromResult(Outcome<TunnelConnectionsReply>.Success(new TunnelConnectionsReply(tunnelId, [.. Connections.Skip(offset).Take(limit)], Connections.Count)));
}

internal sealed class FakeAccounts : IAccountService
{
    public bool AdminExists { get; set; }
    public List<string> Calls { get; } = [];

    /// <summary>The one user <see cref="GetUserAsync"/> finds (by id), if any.</summary>
    public UserState? User { get; set; }

    public Task<UserState?> GetUserAsync(string userId) => Task.FromResult(User?.Id == userId ? User : null);
    public Task<UserState?> VerifyPasswordAsync(string email, string password) => Task.FromResult<UserState?>(null);
    public Task<bool> AdminExistsAsync() => Task.FromResult(AdminExists);
    public Task<Outcome<UserState>> CreateFirstAdminAsync(string email, string fullName, string password, bool twoFactor)
    {
        Calls.Add("create " + email);
        return Task.FromResult(Outcome<UserState>.Success(UserState.Empty));
    }
    public Task<Outcome<UserState>> AcceptTotpStepAsync(string userId, long step) => throw new NotSupportedException();
    public Task<Outcome<UserState>> CompleteEnrolmentAsync(string userId, string totpSecret, long acceptedStep) => throw new NotSupportedException();
    public string? OpenTotpSecret(UserState user) => null;
    public Task<Outcome<UserState>> ChangePasswordAsync(string userId, string currentPassword, string newPassword)
    {
        Calls.Add("password " + userId);
        return Task.FromResult(Outcome<UserState>.Failure(AccountService.WrongCurrentPassword));
    }
    public Task<Outcome<UserState>> ChangeFullNameAsync(string userId, string fullName, string by) =>
        Task.FromResult(Outcome<UserState>.Success(UserState.Empty));
    public Task<Outcome<UserState>> ChangeOwnTwoFactorAsync(string userId, string currentPassword, TwoFactorChange change, string by) =>
        throw new NotSupportedException();
    public Task<Outcome<UserState>> EndSessionsAsync(string userId, string by)
    {
        Calls.Add("end sessions " + userId);
        return Task.FromResult(Outcome<UserState>.Success(UserState.Empty));
    }
}

internal static class Dtos
{
    public static TunnelDto Tunnel(string host, bool online = false, string user = "", string state = "active", long month = 0) =>
        new(Guid.NewGuid().ToString("N"), user, host, online, "", 0, 0, month, DateTimeOffset.UnixEpoch, state, [], "");
}

internal sealed class FakeRules : ITunnelRules
{
    public static readonly Spokes.Actors.Tunnels.HttpRuleInfo WebRule =
        new("web.example.com", "127.0.0.1", 8080, null, null, false, null, false, false, false, false);

    public Outcome<TunnelRulesDto> Rules { get; set; } = Online([WebRule], [Port(22001, "db:5432")]);
    public Outcome<TunnelRulesDto>? Applied { get; set; }
    public List<RuleChange> Changes { get; } = [];

    public static Outcome<TunnelRulesDto> Online(ImmutableList<Spokes.Actors.Tunnels.HttpRuleInfo> http, ImmutableList<PortDto> ports, bool online = true) =>
        Outcome<TunnelRulesDto>.Success(new TunnelRulesDto("t1", online, "", http, ports));

    public static PortDto Port(int port, string destination) => new(port, "jack", "t1", true, 0, 0, 0, destination);

    public Task<Outcome<TunnelRulesDto>> GetAsync(string tunnelId) => Task.FromResult(Rules);

    public Task<Outcome<TunnelRulesDto>> ApplyAsync(string tunnelId, RuleChange change, string by)
    {
        Changes.Add(change);
        return Task.FromResult(Applied ?? Outcome<TunnelRulesDto>.Success(Rules.Value! with { Message = $"{change.Action} done" }));
    }
}

internal sealed class FakeServerSettings : IServerSettings
{
    public ServerSettingsDto Settings { get; set; } =
        new("spokes.example.com", ConfiguredTls.SelfSigned, "", "", 5, 5, 22000, 22999, new Spokes.Actors.Configuration.SocksConfig());
    public Outcome<TunnelOptionsDto>? Update { get; set; }
    public List<(int, int)> Calls { get; } = [];

    public ServerSettingsDto Current() => Settings;

    public List<(bool? Monitor, int? Interval)> MonitorCalls { get; } = [];

    public List<bool?> AutoHostnameCalls { get; } = [];

    public Task<Outcome<TunnelOptionsDto>> UpdateTunnelOptionsAsync(int maxPoolSize, int maxPorts, string by, bool? monitor = null,
        int? monitorIntervalSeconds = null, bool? autoHostnames = null)
    {
        AutoHostnameCalls.Add(autoHostnames);
        Calls.Add((maxPoolSize, maxPorts));
        MonitorCalls.Add((monitor, monitorIntervalSeconds));
        return Task.FromResult(Update ?? Outcome<TunnelOptionsDto>.Success(
            new TunnelOptionsDto(maxPoolSize, maxPorts, monitor ?? false, monitorIntervalSeconds ?? 60, autoHostnames ?? false)));
    }

    public List<(int Port, int TlsPort, string[] Allow)> SocksCalls { get; } = [];
    public Outcome<SocksSettingsReply>? SocksResult { get; set; }

    public Task<Outcome<SocksSettingsReply>> UpdateSocksAsync(int port, int tlsPort, IReadOnlyList<string> allow, string by)
    {
        SocksCalls.Add((port, tlsPort, [.. allow]));
        return Task.FromResult(SocksResult ?? Outcome<SocksSettingsReply>.Success(new SocksSettingsReply(port, tlsPort, [.. allow])));
    }

    public List<(string Domain, bool Force)> DomainCalls { get; } = [];
    public Outcome<DomainSettingsReply>? DomainResult { get; set; }

    public Task<Outcome<DomainSettingsReply>> ChangeDomainAsync(string domain, bool force, string by)
    {
        DomainCalls.Add((domain, force));
        return Task.FromResult(DomainResult ?? Outcome<DomainSettingsReply>.Success(new DomainSettingsReply(domain, force ? "not checked (--force)" : "checked")));
    }

    public TlsChoiceDto Tls { get; set; } = new(Spokes.Actors.Settings.TlsMode.Configured, "", "");
    public Outcome<TlsChoiceDto>? TlsResult { get; set; }
    public List<TlsRequest> TlsCalls { get; } = [];

    public Task<Outcome<TlsChoiceDto>> CurrentTlsAsync() => Task.FromResult(Outcome<TlsChoiceDto>.Success(Tls));

    public Task<Outcome<TlsChoiceDto>> ApplyTlsAsync(TlsRequest request, string by)
    {
        TlsCalls.Add(request);
        return Task.FromResult(TlsResult ?? Outcome<TlsChoiceDto>.Success(new TlsChoiceDto(request.Mode, request.AcmeEmail, "CN=test")));
    }
}

/// <summary>The sign-in guard's policy in one process (the node's is the same states, sharded).</summary>
internal sealed class FakeSignInGuard(TimeProvider time) : Spokes.Actors.Access.ISignInGuard
{
    private readonly Dictionary<string, Spokes.Actors.Access.SignInThrottleState> _keys = new();

    public Task<TimeSpan?> RetryAfterAsync(string account, string address)
    {
        lock (_keys)
            return Task.FromResult(Keys(account, address).Select(k => _keys.GetValueOrDefault(k.Key)?.RetryAfter(time.GetUtcNow())).Max());
    }

    public Task FailedAsync(string account, string address)
    {
        lock (_keys)
            foreach (var (key, scope) in Keys(account, address))
                _keys[key] = (_keys.GetValueOrDefault(key) ?? Spokes.Actors.Access.SignInThrottleState.Empty).Fail(scope, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task SucceededAsync(string account, string address)
    {
        lock (_keys)
        {
            _keys.Remove("pair:" + account.ToLowerInvariant() + "|" + address);
            _keys.Remove("acct:" + account.ToLowerInvariant());
        }
        return Task.CompletedTask;
    }

    private static (string Key, Spokes.Actors.Access.ThrottleScope Scope)[] Keys(string account, string address) =>
    [
        ("pair:" + account.ToLowerInvariant() + "|" + address, Spokes.Actors.Access.ThrottleScope.Pair),
        ("addr:" + address, Spokes.Actors.Access.ThrottleScope.Address),
        ("acct:" + account.ToLowerInvariant(), Spokes.Actors.Access.ThrottleScope.Account),
    ];
}

/// <summary>The cluster's console sessions in one process, with the entity's own decisions.</summary>
internal sealed class FakeConsoleSessions(TimeProvider time) : Spokes.Actors.Access.IConsoleSessions
{
    private readonly Dictionary<string, Spokes.Actors.Access.ConsoleSessionsState> _users = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new();
    public List<string> Touched { get; } = [];
    public List<(string Session, string Reason)> Ended { get; } = [];

    public Task<string> StartAsync(string userId, int stamp, string address, string agent, string by)
    {
        var id = Guid.NewGuid().ToString("N");
        Run(userId, new Spokes.Actors.Access.StartConsoleSession(userId, id, stamp, address, agent, by));
        return Task.FromResult(id);
    }

    public Task<System.Collections.Immutable.ImmutableList<Spokes.Actors.Access.ConsoleSession>?> ListAsync(string userId) =>
        Task.FromResult<System.Collections.Immutable.ImmutableList<Spokes.Actors.Access.ConsoleSession>?>(
            [.. State(userId).Sessions.Values.Select(s => s with { LastSeen = _seen.GetValueOrDefault(s.Id, s.Started) }).OrderByDescending(s => s.Started)]);

    public Task<Spokes.Actors.Access.ConsoleSession?> LastSignInAsync(string userId) =>
        Task.FromResult<Spokes.Actors.Access.ConsoleSession?>(null);

    public void Touch(string userId, string sessionId)
    {
        Touched.Add(sessionId);
        _seen[sessionId] = time.GetUtcNow();
    }

    public Task EndAsync(string userId, string sessionId, string reason, string by)
    {
        Ended.Add((sessionId, reason));
        Run(userId, new Spokes.Actors.Access.EndConsoleSession(userId, sessionId, reason, by));
        return Task.CompletedTask;
    }

    private Spokes.Actors.Access.ConsoleSessionsState State(string userId) =>
        _users.GetValueOrDefault(userId) ?? Spokes.Actors.Access.ConsoleSessionsState.Empty;

    private void Run(string userId, Spokes.Actors.Access.IConsoleSessionMessage message) =>
        _users[userId] = State(userId).Decide(message, time.GetUtcNow()).Events.Aggregate(State(userId), (s, e) => s.Apply(e));
}
