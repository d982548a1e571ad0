using System.Text.Json.Serialization;

namespace Spokes.Acme;

/// <summary>The directory object (RFC 8555 §7.1.1); only what this client uses.</summary>
public sealed record AcmeDirectory(
    [property: JsonPropertyName("newNonce")] string NewNonce,
    [property: JsonPropertyName("newAccount")] string NewAccount,
    [property: JsonPropertyName("newOrder")] string NewOrder);

public sealed record AcmeIdentifier(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

public sealed record AcmeOrder(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("identifiers")] AcmeIdentifier[]? Identifiers,
    [property: JsonPropertyName("authorizations")] string[]? Authorizations,
    [property: JsonPropertyName("finalize")] string? Finalize,
    [property: JsonPropertyName("certificate")] string? Certificate,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

public sealed record AcmeAuthorization(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("identifier")] AcmeIdentifier Identifier,
    [property: JsonPropertyName("challenges")] AcmeChallenge[] Challenges);

public sealed record AcmeChallenge(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

/// <summary>An RFC 7807 problem document as ACME servers send them.</summary>
public sealed record AcmeProblem(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("status")] int? Status)
{
    public const string BadNonce = "urn:ietf:params:acme:error:badNonce";

    public override string ToString() => $"{Type ?? "error"}: {Detail ?? "(no detail)"}";
}

/// <summary>The ACME server refused a request or a validation failed.</summary>
public sealed class AcmeException(string message, AcmeProblem? problem = null) : Exception(message)
{
    public AcmeProblem? Problem { get; } = problem;
}

/// <summary>An issued certificate: the PEM chain as downloaded (leaf first) and the key it certifies.</summary>
public sealed record AcmeCertificateResult(string ChainPem, string PrivateKeyPem);
