using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Spokes.Acme;

/// <summary>
/// A small ACME (RFC 8555) client: one account key (ECDSA P-256, ES256), http-01 challenges answered through an
/// <see cref="AcmeChallengeStore"/>, certificates for DNS names. Requests are JWS POSTs with a nonce from the last
/// response (or newNonce); a badNonce refusal is retried with the nonce that came with it.
/// </summary>
public sealed class AcmeClient : IDisposable
{
    private static readonly MediaTypeHeaderValue JoseJson = new("application/jose+json");

    private readonly Uri _directoryUrl;
    private readonly ECDsa _accountKey;
    private readonly AcmeChallengeStore _challenges;
    private readonly HttpClient _http;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private AcmeDirectory? _directory;
    private string? _nonce;
    private string? _accountUrl;

    /// <param name="handler">Null: the system trust store. Tests pass one that trusts their ACME server's CA.</param>
    public AcmeClient(Uri directoryUrl, ECDsa accountKey, AcmeChallengeStore challenges, HttpMessageHandler? handler = null,
        ILogger? log = null, TimeProvider? time = null)
    {
        _directoryUrl = directoryUrl;
        _accountKey = accountKey;
        _challenges = challenges;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = TimeSpan.FromSeconds(30);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("spokes-acme/1.0");
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How often one request is retried after badNonce refusals.</summary>
    public int MaxBadNonceRetries { get; init; } = 10;

    /// <summary>How long to wait for an authorization or an order to leave "pending"/"processing".</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>badNonce refusals seen (and retried) so far.</summary>
    public int BadNonceRetries { get; private set; }

    /// <summary>The account URL (the JWS "kid") once registered.</summary>
    public string? AccountUrl => _accountUrl;

    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken ct)
    {
        if (_directory is not null) return _directory;
        using var response = await _http.GetAsync(_directoryUrl, ct);
        await EnsureSuccessAsync(response, "directory", ct);
        _directory = await response.Content.ReadFromJsonAsync<AcmeDirectory>(ct)
                     ?? throw new AcmeException($"ACME directory {_directoryUrl} is empty");
        return _directory;
    }

    /// <summary>Creates the account, or finds the existing one of this key (newAccount answers 200 then).</summary>
    public async Task<string> RegisterAsync(string? email, CancellationToken ct)
    {
        if (_accountUrl is not null) return _accountUrl;
        var directory = await GetDirectoryAsync(ct);
        var payload = new JsonObject { ["termsOfServiceAgreed"] = true };
        if (!string.IsNullOrWhiteSpace(email)) payload["contact"] = new JsonArray("mailto:" + email.Trim());
        using var response = await PostAsync(directory.NewAccount, payload, "newAccount", ct, useJwk: true);
        _accountUrl = response.Headers.Location?.ToString()
                      ?? throw new AcmeException("newAccount answered without a Location (account URL)");
        return _accountUrl;
    }

    /// <summary>
    /// Orders a certificate for <paramref name="names"/> with a fresh P-256 key: newOrder, http-01 for every pending
    /// authorization (answers put in the challenge store for the duration), finalize with a CSR, download the chain.
    /// </summary>
    public async Task<AcmeCertificateResult> OrderCertificateAsync(IReadOnlyList<string> names, string? email, CancellationToken ct)
    {
        if (names.Count == 0) throw new ArgumentException("no names to order", nameof(names));
        await RegisterAsync(email, ct);
        var directory = await GetDirectoryAsync(ct);

        var identifiers = new JsonArray(names.Select(n => (JsonNode)new JsonObject { ["type"] = "dns", ["value"] = n }).ToArray());
        string orderUrl;
        AcmeOrder order;
        using (var response = await PostAsync(directory.NewOrder, new JsonObject { ["identifiers"] = identifiers }, "newOrder", ct))
        {
            orderUrl = response.Headers.Location?.ToString() ?? throw new AcmeException("newOrder answered without a Location (order URL)");
            order = await ReadAsync<AcmeOrder>(response, ct);
        }

        foreach (var authorizationUrl in order.Authorizations ?? [])
        {
            await AuthorizeAsync(authorizationUrl, ct);
        }

        order = await PollAsync<AcmeOrder>(orderUrl, "order", ct,
            stopWhen: o => o.Status is "ready" or "valid" or "invalid");
        if (order.Status == "invalid") throw new AcmeException($"order {orderUrl} is invalid: {order.Error}", order.Error);

        using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (order.Status == "ready")
        {
            var csr = CreateCsr(names, certificateKey);
            using (var response = await PostAsync(order.Finalize ?? throw new AcmeException("order has no finalize URL"),
                       new JsonObject { ["csr"] = Jws.Base64Url(csr) }, "finalize", ct))
            {
                order = await ReadAsync<AcmeOrder>(response, ct);
            }
            if (order.Status != "valid")
            {
                order = await PollAsync<AcmeOrder>(orderUrl, "order", ct, stopWhen: o => o.Status is "valid" or "invalid");
            }
        }
        else
        {
            throw new AcmeException($"order {orderUrl} is already '{order.Status}' before finalize; cannot use a new key");
        }
        if (order.Status != "valid" || order.Certificate is null)
            throw new AcmeException($"order {orderUrl} ended '{order.Status}': {order.Error}", order.Error);

        string chain;
        using (var response = await PostAsync(order.Certificate, null, "certificate", ct, accept: "application/pem-certificate-chain"))
        {
            chain = await response.Content.ReadAsStringAsync(ct);
        }
        if (!chain.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            throw new AcmeException("the certificate download is not a PEM chain");
        return new AcmeCertificateResult(chain, certificateKey.ExportPkcs8PrivateKeyPem());
    }

    internal static byte[] CreateCsr(IReadOnlyList<string> names, ECDsa key)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(names[0]);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }

    private async Task AuthorizeAsync(string authorizationUrl, CancellationToken ct)
    {
        var authorization = await PostAsGetAsync<AcmeAuthorization>(authorizationUrl, "authorization", ct);
        if (authorization.Status == "valid") return;
        if (authorization.Status != "pending")
            throw new AcmeException($"authorization for {authorization.Identifier.Value} is '{authorization.Status}'");
        var challenge = authorization.Challenges.FirstOrDefault(c => c.Type == "http-01" && c.Token is not null)
                        ?? throw new AcmeException($"no http-01 challenge offered for {authorization.Identifier.Value}");
        var token = challenge.Token!;
        // Published to every node before the CA is told to look: its request may reach any of them.
        await _challenges.PublishAsync(token, Jws.KeyAuthorization(token, _accountKey));
        try
        {
            using (await PostAsync(challenge.Url, new JsonObject(), "challenge", ct)) { }
            authorization = await PollAsync<AcmeAuthorization>(authorizationUrl, "authorization", ct,
                stopWhen: a => a.Status is not "pending");
            if (authorization.Status != "valid")
            {
                var problem = authorization.Challenges.FirstOrDefault(c => c.Url == challenge.Url)?.Error;
                throw new AcmeException($"http-01 for {authorization.Identifier.Value} failed ({authorization.Status}): {problem}", problem);
            }
        }
        finally
        {
            await _challenges.WithdrawAsync(token);
        }
    }

    private async Task<T> PollAsync<T>(string url, string what, CancellationToken ct, Func<T, bool> stopWhen)
    {
        var deadline = _time.GetUtcNow() + PollTimeout;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            T value;
            TimeSpan? retryAfter;
            using (var response = await PostAsync(url, null, what, ct))
            {
                value = await ReadAsync<T>(response, ct);
                retryAfter = RetryAfter(response);
            }
            if (stopWhen(value)) return value;
            if (_time.GetUtcNow() > deadline) throw new AcmeException($"{what} {url} still not done after {PollTimeout.TotalSeconds:0} s");
            var wait = retryAfter ?? delay;
            if (wait > TimeSpan.FromSeconds(30)) wait = TimeSpan.FromSeconds(30);
            await Task.Delay(wait, _time, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }

    private async Task<T> PostAsGetAsync<T>(string url, string what, CancellationToken ct)
    {
        using var response = await PostAsync(url, null, what, ct);
        return await ReadAsync<T>(response, ct);
    }

    /// <summary>A signed POST (payload null: POST-as-GET); retries badNonce; throws <see cref="AcmeException"/> on a problem.</summary>
    private async Task<HttpResponseMessage> PostAsync(string url, JsonNode? payload, string what, CancellationToken ct,
        bool useJwk = false, string? accept = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var nonce = await TakeNonceAsync(ct);
            var body = Jws.Sign(_accountKey, url, nonce, useJwk ? null : _accountUrl ?? throw new InvalidOperationException("no account yet"),
                payload?.DeepClone());
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body, Encoding.UTF8),
            };
            request.Content.Headers.ContentType = JoseJson;
            if (accept is not null) request.Headers.Accept.ParseAdd(accept);
            var response = await _http.SendAsync(request, ct);
            KeepNonce(response);
            if (response.IsSuccessStatusCode) return response;
            try
            {
                var problem = await ReadProblemAsync(response, ct);
                if (problem?.Type == AcmeProblem.BadNonce && attempt < MaxBadNonceRetries)
                {
                    BadNonceRetries++;
                    _log.LogDebug("acme: {What} refused with badNonce, retrying ({Attempt})", what, attempt + 1);
                    continue;
                }
                throw new AcmeException($"ACME {what} failed ({(int)response.StatusCode}): {problem?.ToString() ?? response.ReasonPhrase}", problem);
            }
            finally
            {
                response.Dispose();
            }
        }
    }

    private async Task<string> TakeNonceAsync(CancellationToken ct)
    {
        var nonce = Interlocked.Exchange(ref _nonce, null);
        if (nonce is not null) return nonce;
        var directory = await GetDirectoryAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        using var response = await _http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw new AcmeException($"ACME newNonce failed ({(int)response.StatusCode})");
        return response.Headers.TryGetValues("Replay-Nonce", out var values) ? values.First()
            : throw new AcmeException("ACME newNonce answered without a Replay-Nonce");
    }

    private void KeepNonce(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Replay-Nonce", out var values)) _nonce = values.First();
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(ct) ?? throw new AcmeException($"empty ACME answer from {response.RequestMessage?.RequestUri}");

    private static async Task<AcmeProblem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            return text.Length == 0 ? null : JsonSerializer.Deserialize<AcmeProblem>(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var problem = await ReadProblemAsync(response, ct);
        throw new AcmeException($"ACME {what} failed ({(int)response.StatusCode}): {problem?.ToString() ?? response.ReasonPhrase}", problem);
    }

    public void Dispose() => _http.Dispose();
}
