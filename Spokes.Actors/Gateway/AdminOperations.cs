using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Gateway;

/// <summary>
/// Everything an operator can do, as one typed service over the entities and the catalog. The gateway actor
/// (for the CLI) and the console call it alike. It holds no state of its own: the entities decide.
/// </summary>
public sealed partial class AdminOperations(
    ActorSystem system,
    SpokesRegions regions,
    SecretBox secrets,
    TunnelOptionsSource options,
    ITunnelPresence presence,
    IRulePusher rules,
    TimeProvider time,
    Tokens.AgentCredentials credentials)
{
    /// <summary>One step: what a single entity, the catalog or a node is given to answer.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A whole request, all its steps together. Callers wait longer (the CLI: <see cref="CallerTimeout"/>);
    /// see docs/internals.md, "Timeouts".</summary>
    public static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(40);

    /// <summary>How long a caller of <see cref="HandleAsync"/> over the network waits: the deadline and a margin.</summary>
    public static readonly TimeSpan CallerTimeout = RequestDeadline + TimeSpan.FromSeconds(10);

    /// <summary>The steps and deadline in force (shorter in tests that wait for a timeout).</summary>
    public OperationTimeouts Timeouts { get; init; } = new(AskTimeout, RequestDeadline);

    private readonly ILoggingAdapter _log = Logging.GetLogger(system, typeof(AdminOperations));

    public async Task<IWireMessage> HandleAsync(IAdminRequest request, string by, CancellationToken cancellationToken = default)
    {
        if (Readiness is { StoreReachable: false } && IsChange(request)) return new Refusal(ErrorCode.Unavailable, StoreDown);
        // Every step below waits only for what is left of the request (CallDeadline).
        using var call = CallDeadline.Begin(Timeouts.Request, cancellationToken);
        try
        {
            return request switch
            {
                AddUserRequest r => await AddUserAsync(r, by),
                ListUsersRequest r => await ListUsersAsync(r),
                ChangePasswordRequest r => await ChangePasswordAsync(r, by),
                TwoFactorRequest r => await TwoFactorAsync(r, by),
                SetUserDisabledRequest r => await SetUserDisabledAsync(r, by),
                SetUserRoleRequest r => await SetUserRoleAsync(r, by),
                UserQuotaRequest r => await UserQuotaAsync(r, by),
                CreateRegistrationRequest r => await CreateRegistrationAsync(r, by),
                ListRegistrationsRequest => await ListRegistrationsAsync(),
                RemoveRegistrationRequest r => await RemoveRegistrationAsync(r, by),
                CreateTokenRequest r => await CreateTokenAsync(r.Hostname, null, null, by),
                ListTokensRequest => await ListTokensAsync(),
                RemoveTokenRequest r => await RemoveTokenAsync(r, by),
                CreateApiKeyRequest r => await CreateApiKeyAsync(r, by),
                ListApiKeysRequest => await ListApiKeysAsync(),
                RemoveApiKeyRequest r => await RemoveApiKeyAsync(r, by),
                ListTunnelsRequest r => await ListTunnelsAsync(r),
                ShutdownTunnelRequest r => await ShutdownTunnelAsync(r.Id, "shut down by an administrator", by),
                ListPortsRequest => await ListPortsAsync(),
                CleanRequest r => await CleanAsync(r.CheckOnly, by),
                AuditRequest r => await AuditAsync(r.Since),
                ClusterStatusRequest => ClusterStatus(),
                DrainNodeRequest r => await DrainNodeAsync(r.Node, by),
                TunnelRulesRequest r => await TunnelRulesAsync(r.TunnelId, r.Change, by),
                TunnelOptionsRequest r => await TunnelOptionsAsync(r, by),
                SocksSettingsRequest r => await SocksSettingsAsync(r, by),
                DomainSettingsRequest r => await DomainSettingsAsync(r, by),
                TrafficHistoryRequest r => await TrafficHistoryAsync(r),
                TrafficRollupsRequest r => await TrafficRollupsAsync(r),
                TunnelConnectionsRequest r => await TunnelConnectionsAsync(r),
                TunnelDetailsRequest r => await TunnelDetailsAsync(r),
                GetUserRequest r => await GetUserAsync(r),
                AdminExistsRequest => await AdminExistsAsync(),
                AccountChangeRequest r => await AccountChangeAsync(r, by),
                EditRegistrationRequest r => await EditRegistrationAsync(r, by),
                _ => new Refusal(ErrorCode.Invalid, $"unknown request {request.GetType().Name}"),
            };
        }
        catch (RefusedException refused)
        {
            return refused.Refusal;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new Refusal(ErrorCode.Unavailable, "the request was cancelled by its caller");
        }
        catch (Exception ex) when (ex is AskTimeoutException or OperationCanceledException)
        {
            // A step that does not name itself (a timeout of its own, not through AskAsync).
            _log.Warning("{0} timed out: {1}", request.GetType().Name, ex.Message);
            return new Refusal(ErrorCode.Unavailable, Readiness is { StoreReachable: false } ? StoreDown
                : $"{request.GetType().Name} did not complete within {Timeouts.Request.TotalSeconds:0} s");
        }
        catch (Exception ex)
        {
            _log.Error(ex, "{0} failed", request.GetType().Name);
            return new Refusal(ErrorCode.Failed, $"{request.GetType().Name} failed: {ex.Message}");
        }
    }

    /// <summary>Asks one step, bounded by the step's timeout and what is left of the request's deadline; when it does
    /// not answer, the refusal names who did not (the entity, the catalog, the node) and what it was asked.</summary>
    private async Task<IWireMessage> AskAsync(ICanTell target, object message, string? who = null)
    {
        var wait = StepWait();
        try
        {
            return target switch
            {
                IActorRef actor => await actor.Ask<IWireMessage>(message, wait, CallDeadline.Token),
                ActorSelection selection => await selection.Ask<IWireMessage>(message, wait, CallDeadline.Token),
                _ => throw new ArgumentException($"cannot ask {target.GetType().Name}", nameof(target)),
            };
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            var name = who ?? NameOf(target, message);
            _log.Warning("{0} did not answer {1} within {2:0.#} s", name, message.GetType().Name, wait.TotalSeconds);
            throw new RefusedException(new Refusal(ErrorCode.Unavailable, Readiness is { StoreReachable: false }
                ? $"{StoreDown} ({name} did not answer)"
                : $"{name} did not answer {message.GetType().Name} within {wait.TotalSeconds:0.#} s"));
        }
    }

    /// <summary>What one step may wait: its own timeout, or less when the request's deadline is nearer.</summary>
    private TimeSpan StepWait() => CallDeadline.Wait(Timeouts.Step);

    /// <summary>The token of the request in progress (its deadline and its caller's cancellation), for steps that are
    /// not asks (the store, a domain check, a rule push).</summary>
    private static CancellationToken RequestCancel => CallDeadline.Token;

    private string NameOf(ICanTell target, object message)
    {
        var kind = ReferenceEquals(target, regions.Users) ? "user"
            : ReferenceEquals(target, regions.Registrations) ? "registration"
            : ReferenceEquals(target, regions.Tokens) ? "auth token"
            : ReferenceEquals(target, regions.Tunnels) ? "tunnel"
            : ReferenceEquals(target, regions.Ports) ? "port lease"
            : ReferenceEquals(target, regions.Domains) ? "domain claim"
            : ReferenceEquals(target, regions.ApiKeys) ? "API key"
            : null;
        if (ReferenceEquals(target, regions.Catalog)) return "the catalog (cluster singleton)";
        if (kind is null) return target is IActorRef actor ? $"actor {actor.Path.Name}" : $"actor {target}";
        return message is IEntityMessage entity ? $"the {kind} entity {entity.EntityId}" : $"the {kind} shard region";
    }

    /// <summary>Asks and returns the expected reply, or throws <see cref="RefusedException"/> carrying the refusal.</summary>
    private async Task<T> AskForAsync<T>(IActorRef target, object message) where T : IWireMessage =>
        await AskAsync(target, message) switch
        {
            T ok => ok,
            Refusal refusal => throw new RefusedException(refusal),
            var other => throw new InvalidOperationException($"unexpected reply {other.GetType().Name}"),
        };

    /// <summary>Every entry of a catalog listing, asked for <paramref name="size"/> at a time so that no answer outgrows
    /// a remoting message when the catalog (a singleton) runs on another node. Entries made or removed between two pages
    /// may be missed or seen twice (by id, the second is dropped).</summary>
    private async Task<ImmutableList<T>> CatalogAllAsync<TReply, T>(Func<int, int, object> page, Func<TReply, ImmutableList<T>> items,
        Func<T, string> id, int size = 2000) where TReply : IWireMessage
    {
        var all = ImmutableList.CreateBuilder<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var offset = 0; ; offset += size)
        {
            var got = items(await AskForAsync<TReply>(regions.Catalog, page(offset, size)));
            all.AddRange(got.Where(x => seen.Add(id(x))));
            if (got.Count < size) return all.ToImmutable();
        }
    }

    private Task<ImmutableList<Users.UserState>> CatalogUsersAsync() =>
        CatalogAllAsync<UserList, Users.UserState>((o, l) => new ListUsers(o, l), r => r.Users, x => x.Id);
    private Task<ImmutableList<Tokens.RegistrationState>> CatalogRegistrationsAsync() =>
        CatalogAllAsync<RegistrationList, Tokens.RegistrationState>((o, l) => new ListRegistrations(o, l), r => r.Registrations, x => x.Id);
    private Task<ImmutableList<Tokens.AuthTokenState>> CatalogTokensAsync() =>
        CatalogAllAsync<AuthTokenList, Tokens.AuthTokenState>((o, l) => new ListAuthTokens(o, l), r => r.Tokens, x => x.Id);
    // Tunnel states are the largest (rules, services, an earlier release's last connections): smaller pages.
    private Task<ImmutableList<Tunnels.TunnelState>> CatalogTunnelsAsync() =>
        CatalogAllAsync<TunnelList, Tunnels.TunnelState>((o, l) => new ListTunnels(o, l), r => r.Tunnels, x => x.Id, 200);
    private Task<ImmutableList<Ports.PortLeaseState>> CatalogLeasesAsync() =>
        CatalogAllAsync<PortLeaseList, Ports.PortLeaseState>((o, l) => new ListPortLeases(o, l), r => r.Leases, x => x.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private Task<ImmutableList<Domains.DomainState>> CatalogDomainsAsync() =>
        CatalogAllAsync<DomainList, Domains.DomainState>((o, l) => new ListDomains(o, l), r => r.Domains, x => x.Domain);
    private Task<ImmutableList<Tokens.ApiKeyState>> CatalogApiKeysAsync() =>
        CatalogAllAsync<ApiKeyList, Tokens.ApiKeyState>((o, l) => new ListApiKeys(o, l), r => r.Keys, x => x.Id);

    private DateTimeOffset Now => time.GetUtcNow();
}

/// <summary>What one step is given to answer, and a whole request.</summary>
public sealed record OperationTimeouts(TimeSpan Step, TimeSpan Request);

/// <summary>Carries a refusal out of a multi-step operation.</summary>
public sealed class RefusedException(Refusal refusal) : Exception(refusal.Message)
{
    public Refusal Refusal { get; } = refusal;
}
