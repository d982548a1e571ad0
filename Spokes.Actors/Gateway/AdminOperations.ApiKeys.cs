using Akka.Actor;
using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    private async Task<IWireMessage> CreateApiKeyAsync(CreateApiKeyRequest r, string by)
    {
        ApiKeyScope? scope = r.Scope?.Trim().ToLowerInvariant() switch { "read" => ApiKeyScope.Read, "admin" => ApiKeyScope.Admin, _ => null };
        if (scope is null) return new Refusal(ErrorCode.Invalid, $"scope '{r.Scope}' is neither read nor admin");
        if (BadDescription(r.Description) is { } bad) return bad;
        var value = ApiKeyIds.NewValue();
        var id = ApiKeyIds.For(value);
        var reply = await AskAsync(regions.ApiKeys, new CreateApiKey(id, secrets.Seal(value), scope.Value, r.Description.Trim(), by));
        return reply is Refusal ? reply : new AdminSecretCreated(id, value);
    }

    private async Task<IWireMessage> ListApiKeysAsync() =>
        new ApiKeysReply((await CatalogApiKeysAsync()).Select(ToDto).ToImmutableList());

    internal static ApiKeyDto ToDto(ApiKeyState k) =>
        new(k.Id, k.Created, k.Scope.ToString().ToLowerInvariant(), k.Description, k.CreatedBy, k.Active);

    private async Task<IWireMessage> RemoveApiKeyAsync(RemoveApiKeyRequest r, string by)
    {
        var id = (r.Id ?? "").Trim().ToLowerInvariant();
        if (id.Length == 0) return new Refusal(ErrorCode.Invalid, "--id is required");
        var reply = await AskAsync(regions.ApiKeys, new RevokeApiKey(id, by));
        return reply switch
        {
            ApiKeyReply => new AdminCount(1),
            Refusal { Code: ErrorCode.NotFound } => new Refusal(ErrorCode.NotFound, $"API key {id} not found"),
            _ => reply,
        };
    }

    /// <summary>The active API key whose value <paramref name="value"/> is (compared in constant time), or null. Asked
    /// of the key's entity every time, so a revoked key stops working at once on every node.</summary>
    public async Task<ApiKeyState?> AuthenticateApiKeyAsync(string value)
    {
        value = value.Trim();
        if (!value.StartsWith(ApiKeyIds.Prefix, StringComparison.Ordinal) || value.Length > 128) return null;
        return await AskAsync(regions.ApiKeys, new GetApiKey(ApiKeyIds.For(value))) is ApiKeyReply { Key: { Active: true } key }
            && SecretValues.FixedTimeEquals(secrets.Open(key.SealedValue), value)
            ? key
            : null;
    }

    /// <summary>Writes one period's reads through a key to its entity (and so to the audit trail); fire and forget.</summary>
    public void RecordApiKeyUse(RecordApiKeyUse use) => regions.ApiKeys.Tell(use, ActorRefs.NoSender);
}
