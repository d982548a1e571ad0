using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tokens;

namespace Spokes.Admin.Services;

/// <summary>Registration and auth tokens for the console (the CLI reaches the same operations through the gateway).</summary>
public interface ITokenService
{
    Task<Outcome<ImmutableList<RegistrationDto>>> ListRegistrationsAsync();
    /// <param name="maxUses">How many agents it may register (null: no limit).</param>
    /// <param name="expires">From when it registers none (null: never).</param>
    Task<Outcome<AdminSecretCreated>> CreateRegistrationAsync(string description, string by, int? maxUses = null, DateTimeOffset? expires = null);
    Task<Outcome<RegistrationState>> SetRegistrationDescriptionAsync(string id, string description, string by);
    Task<Outcome<RegistrationState>> SetRegistrationActiveAsync(string id, bool active, string by);
    Task<Outcome<ImmutableList<TokenDto>>> ListTokensAsync();
    Task<Outcome<AdminSecretCreated>> CreateTokenAsync(string hostname, string by);
    Task<Outcome<AdminCount>> RevokeTokenAsync(string id, string by);
    Task<Outcome<ImmutableList<ApiKeyDto>>> ListApiKeysAsync();
    /// <param name="scope">"read" or "admin".</param>
    Task<Outcome<AdminSecretCreated>> CreateApiKeyAsync(string scope, string description, string by);
    Task<Outcome<AdminCount>> RevokeApiKeyAsync(string id, string by);
}

public sealed class TokenService(AdminOperations operations) : ITokenService
{
    public const int MaxDescription = AdminOperations.MaxDescription;

    public async Task<Outcome<ImmutableList<RegistrationDto>>> ListRegistrationsAsync() =>
        (await operations.HandleAsync(new ListRegistrationsRequest(), "console"))
        .ToOutcome(r => (r as RegistrationsReply)?.Registrations);

    public async Task<Outcome<AdminSecretCreated>> CreateRegistrationAsync(string description, string by, int? maxUses = null,
        DateTimeOffset? expires = null) =>
        (await operations.HandleAsync(new CreateRegistrationRequest(description, maxUses, expires), by)).ToOutcome(r => r as AdminSecretCreated);

    public async Task<Outcome<RegistrationState>> SetRegistrationDescriptionAsync(string id, string description, string by) =>
        (await operations.HandleAsync(new EditRegistrationRequest(id, description, null), by)).ToOutcome(r => (r as RegistrationReply)?.Registration);

    public async Task<Outcome<RegistrationState>> SetRegistrationActiveAsync(string id, bool active, string by) =>
        (await operations.HandleAsync(new EditRegistrationRequest(id, null, active), by)).ToOutcome(r => (r as RegistrationReply)?.Registration);

    public async Task<Outcome<ImmutableList<TokenDto>>> ListTokensAsync() =>
        (await operations.HandleAsync(new ListTokensRequest(), "console")).ToOutcome(r => (r as TokensReply)?.Tokens);

    public async Task<Outcome<AdminSecretCreated>> CreateTokenAsync(string hostname, string by) =>
        (await operations.HandleAsync(new CreateTokenRequest(hostname), by)).ToOutcome(r => r as AdminSecretCreated);

    public async Task<Outcome<AdminCount>> RevokeTokenAsync(string id, string by) =>
        (await operations.HandleAsync(new RemoveTokenRequest(id, false), by)).ToOutcome(r => r as AdminCount);

    public async Task<Outcome<ImmutableList<ApiKeyDto>>> ListApiKeysAsync() =>
        (await operations.HandleAsync(new ListApiKeysRequest(), "console")).ToOutcome(r => (r as ApiKeysReply)?.Keys);

    public async Task<Outcome<AdminSecretCreated>> CreateApiKeyAsync(string scope, string description, string by) =>
        (await operations.HandleAsync(new CreateApiKeyRequest(scope, description), by)).ToOutcome(r => r as AdminSecretCreated);

    public async Task<Outcome<AdminCount>> RevokeApiKeyAsync(string id, string by) =>
        (await operations.HandleAsync(new RemoveApiKeyRequest(id), by)).ToOutcome(r => r as AdminCount);
}
