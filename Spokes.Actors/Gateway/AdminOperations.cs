using Akka.Actor;
using Akka.Event;
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
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);
    private readonly ILoggingAdapter _log = Logging.GetLogger(system, typeof(AdminOperations));

    public async Task<IWireMessage> HandleAsync(IAdminRequest request, string by)
    {
        if (Readiness is { StoreReachable: false } && IsChange(request)) return new Refusal(ErrorCode.Unavailable, StoreDown);
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
        catch (AskTimeoutException)
        {
            _log.Warning("{0} timed out", request.GetType().Name);
            return new Refusal(ErrorCode.Unavailable, Readiness is { StoreReachable: false } ? StoreDown : "the cluster did not answer in time");
        }
        catch (Exception ex)
        {
            _log.Error(ex, "{0} failed", request.GetType().Name);
            return new Refusal(ErrorCode.Failed, $"{request.GetType().Name} failed: {ex.Message}");
        }
    }

    private async Task<IWireMessage> AskAsync(IActorRef target, object message) =>
        await target.Ask<IWireMessage>(message, AskTimeout);

    /// <summary>Asks and returns the expected reply, or throws <see cref="RefusedException"/> carrying the refusal.</summary>
    private async Task<T> AskForAsync<T>(IActorRef target, object message) where T : IWireMessage =>
        await AskAsync(target, message) switch
        {
            T ok => ok,
            Refusal refusal => throw new RefusedException(refusal),
            var other => throw new InvalidOperationException($"unexpected reply {other.GetType().Name}"),
        };

    private DateTimeOffset Now => time.GetUtcNow();
}

/// <summary>Carries a refusal out of a multi-step operation.</summary>
public sealed class RefusedException(Refusal refusal) : Exception(refusal.Message)
{
    public Refusal Refusal { get; } = refusal;
}
