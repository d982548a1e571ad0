using System.Collections.Concurrent;

namespace Spokes.Acme;

/// <summary>
/// The http-01 answers this node is ready to give: token → key authorization. The ACME client publishes a token
/// while its challenge is pending and withdraws it afterwards; in a cluster that goes to every node first
/// (<see cref="Replicate"/>, set by the node's AcmeChallengeReplica), because the CA's request may
/// reach any node behind the domain. The HTTP side (own-domain site and the HTTP router for tunnel domains)
/// answers <c>GET /.well-known/acme-challenge/{token}</c> from here.
/// </summary>
public sealed class AcmeChallengeStore
{
    public const string PathPrefix = "/.well-known/acme-challenge/";

    private readonly ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);

    /// <summary>Writes a token (a null answer: its removal) to every node; completes once they have it.</summary>
    public Func<string, string?, Task>? Replicate { get; set; }

    public void Add(string token, string keyAuthorization) => _answers[token] = keyAuthorization;

    public void Remove(string token) => _answers.TryRemove(token, out _);

    /// <summary>Every node's replicator has a published token when <see cref="Replicate"/> completes; its store hears
    /// of it at the replicator's next notification (every 100 ms): wait that long before the CA is asked to look.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(400);

    public async Task PublishAsync(string token, string keyAuthorization)
    {
        Add(token, keyAuthorization);
        if (Replicate is { } replicate)
        {
            await replicate(token, keyAuthorization);
            await Task.Delay(Settle);
        }
    }

    public async Task WithdrawAsync(string token)
    {
        Remove(token);
        if (Replicate is { } replicate) await replicate(token, null);
    }

    /// <summary>The tokens held now (for the replica, which mirrors other nodes' tokens here).</summary>
    public IReadOnlyCollection<string> Tokens => [.. _answers.Keys];

    public int Count => _answers.Count;

    public bool TryGet(string token, out string keyAuthorization) => _answers.TryGetValue(token, out keyAuthorization!);

    /// <summary>The token of a request target <c>/.well-known/acme-challenge/{token}</c> (query ignored), or null.</summary>
    public static string? TokenOf(string? target)
    {
        if (target is null || !target.StartsWith(PathPrefix, StringComparison.Ordinal)) return null;
        var token = target[PathPrefix.Length..];
        var query = token.IndexOf('?');
        if (query >= 0) token = token[..query];
        // Tokens are base64url (RFC 8555 §8.1): nothing else is a token.
        if (token.Length == 0 || token.Length > 256 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return null;
        return token;
    }

    /// <summary>The key authorization for a request target, or null when the target is no challenge or the token is unknown.</summary>
    public string? AnswerFor(string? target) => TokenOf(target) is { } token && TryGet(token, out var answer) ? answer : null;
}
