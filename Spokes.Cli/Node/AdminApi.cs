using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;

namespace Spokes.Cli.Node;

/// <summary>
/// The admin REST API under <c>/api/v1</c> on the server's own domain (HTTPS): the same typed requests as the CLI and
/// the console (<see cref="AdminOperations"/>), made as <c>apikey &lt;id&gt;</c> so the audit trail names the key.
/// A <c>read</c> key may only GET. Each key may make <see cref="RequestsPerSecond"/> requests a second (bursts of
/// <see cref="Burst"/>); beyond that 429. Errors are RFC 9457 problem details; lists page with <c>offset</c> and
/// <c>limit</c>. The OpenAPI document is <c>/api/v1/openapi.json</c>.
/// </summary>
internal static class AdminApi
{
    public const int RequestsPerSecond = 20;
    public const int Burst = 100;
    public const int MaxPage = 1000;
    private const int MaxBody = 64 * 1024;
    private const string ByKey = "spokes.apikey.by";

    public static IServiceCollection AddAdminApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Spokes admin API";
                document.Info.Description = "Authorization: Bearer <API key> (spokes apikey create). Errors are RFC 9457 problem details.";
                return Task.CompletedTask;
            });
        });

    public static void MapAdminApi(this WebApplication app)
    {
        app.MapOpenApi("/api/{documentName}/openapi.json");
        var limiters = new ConcurrentDictionary<string, TokenBucketRateLimiter>(StringComparer.Ordinal);
        var api = app.MapGroup("/api/v1").AddEndpointFilter(async (filter, next) =>
        {
            var http = filter.HttpContext;
            // Our answers are problem documents; the console's status-code pages must not replace them with HTML.
            if (http.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
            var key = await http.RequestServices.GetRequiredService<ApiKeyAuthentication>().AuthenticateAsync(http);
            if (key is null) return Results.Empty;
            if (key.Scope == ApiKeyScope.Read && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
                return Problem(StatusCodes.Status403Forbidden, "Read-only key", $"API key {key.Id} has the read scope: it may only read");
            var limiter = limiters.GetOrAdd(key.Id, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Burst, TokensPerPeriod = RequestsPerSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0,
            }));
            using var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                http.Response.Headers.RetryAfter = "1";
                return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", $"at most {RequestsPerSecond} requests a second per API key");
            }
            http.Items[ByKey] = "apikey " + key.Id;
            return await next(filter);
        });

        api.MapGet("/tunnels", (HttpContext h, string? all, string? online, string? offset, string? limit) =>
            Paging.Read(offset, limit) is not { } page ? BadPaging
            : Flag(all) is not { } everything || Flag(online) is not { } onlineOnly ? BadFlag
            : Run<TunnelsReply>(h, new ListTunnelsRequest(onlineOnly, everything), r => Page(r.Tunnels, page)));
        api.MapGet("/tunnels/{id}/rules", (HttpContext h, string id) =>
            Run<TunnelRulesReply>(h, new TunnelRulesRequest(id, null), Results.Ok));
        api.MapGet("/tunnels/{id}", (HttpContext h, string id) => Run<TunnelDetailsReply>(h, new TunnelDetailsRequest(id), Results.Ok));
        api.MapGet("/tunnels/{id}/connections", (HttpContext h, string id, string? offset, string? limit) =>
            Paging.Read(offset, limit) is not { } page ? BadPaging
            : Run<TunnelConnectionsReply>(h, new TunnelConnectionsRequest(id, page.Offset, page.Limit), r =>
                Results.Ok(new PageOf<Spokes.Actors.Tunnels.ConnectionRecord>(r.Connections, (int)Math.Min(int.MaxValue, r.Total), page.Offset, page.Limit))));
        api.MapPost("/tunnels/{id}/rules", async (HttpContext h, string id) => await Body<RuleChange>(h) is not { } change ? BadBody
            : change.Problem() is { } problem ? Problem(StatusCodes.Status400BadRequest, "Bad rule change", problem)
            : await Run<TunnelRulesReply>(h, new TunnelRulesRequest(id, change), Results.Ok));
        api.MapGet("/tunnels/{id}/traffic", (HttpContext h, string id, string? period) => Traffic(h, id, period));
        api.MapGet("/traffic", (HttpContext h, string? period) => Traffic(h, null, period));
        api.MapPost("/tunnels/{id}/shutdown", (HttpContext h, string id) =>
            Run<IWireMessage>(h, new ShutdownTunnelRequest(id), _ => Results.NoContent()));
        api.MapGet("/tokens", (HttpContext h, string? offset, string? limit) => Paging.Read(offset, limit) is not { } page ? BadPaging
            : Run<TokensReply>(h, new ListTokensRequest(), r => Page(r.Tokens.Select(t => t with { Value = SecretValues.Truncate(t.Value) }).ToList(), page)));
        api.MapPost("/tokens", Handler(async h => await Body<TokenBody>(h) is not { } b ? BadBody
            : await Created<TokensReply, TokenDto>(h, new CreateTokenRequest(b.Hostname ?? ""), new ListTokensRequest(), r => r.Tokens,
                t => t.Id, (t, v) => t with { Value = v }, "tokens")));
        api.MapDelete("/tokens/{id}", (HttpContext h, string id) => Run<AdminCount>(h, new RemoveTokenRequest(id, false), _ => Results.NoContent()));
        api.MapGet("/registrations", (HttpContext h, string? offset, string? limit) => Paging.Read(offset, limit) is not { } page ? BadPaging
            : Run<RegistrationsReply>(h, new ListRegistrationsRequest(),
                r => Page(r.Registrations.Select(x => x with { Value = SecretValues.Truncate(x.Value, 14) }).ToList(), page)));
        api.MapPost("/registrations", Handler(async h => await Body<RegistrationBody>(h) is not { } b ? BadBody
            : await Created<RegistrationsReply, RegistrationDto>(h, new CreateRegistrationRequest(b.Description ?? "", b.Uses, b.Expires),
                new ListRegistrationsRequest(), r => r.Registrations, x => x.Id, (x, v) => x with { Value = v }, "registrations")));
        api.MapDelete("/registrations/{id}", (HttpContext h, string id) =>
            Run<AdminCount>(h, new RemoveRegistrationRequest(id, false), _ => Results.NoContent()));
        api.MapGet("/users", (HttpContext h, string? all, string? offset, string? limit) =>
            Paging.Read(offset, limit) is not { } page ? BadPaging
            : Flag(all) is not { } everything ? BadFlag
            : Run<UsersReply>(h, new ListUsersRequest(everything), r => Page(r.Users, page)));
        api.MapGet("/users/{id}/quota", (HttpContext h, string id) =>
            Run<UserQuotaReply>(h, new UserQuotaRequest(new UserSelector(null, id), null, null, null), Results.Ok));
        api.MapPut("/users/{id}/quota", async (HttpContext h, string id) => await Body<QuotaBody>(h) is not { } b ? BadBody
            : await Run<UserQuotaReply>(h, new UserQuotaRequest(new UserSelector(null, id), b.MaxTunnels, b.MaxPorts, b.Domains, b.MonthlyBytes), Results.Ok));
        api.MapGet("/ports", (HttpContext h, string? offset, string? limit) => Paging.Read(offset, limit) is not { } page ? BadPaging
            : Run<PortsReply>(h, new ListPortsRequest(), r => Page(r.Ports, page)));
        api.MapGet("/settings/tunnel", Handler(h => Run<TunnelOptionsReply>(h, new TunnelOptionsRequest(null, null), Results.Ok)));
        api.MapPut("/settings/tunnel", Handler(async h => await Body<TunnelSettingsBody>(h) is not { } b ? BadBody
            : await Run<TunnelOptionsReply>(h, new TunnelOptionsRequest(b.MaxPoolSize, b.MaxPorts, b.Monitor, b.MonitorIntervalSeconds, b.AutoHostnames), Results.Ok)));
        api.MapGet("/settings/domain", Handler(h => Run<DomainSettingsReply>(h, new DomainSettingsRequest(null, false), Results.Ok)));
        api.MapPut("/settings/domain", Handler(async h => await Body<DomainSettingsBody>(h) is not { Name: not null } b ? BadBody
            : await Run<DomainSettingsReply>(h, new DomainSettingsRequest(b.Name, b.Force ?? false), Results.Ok)));
        api.MapGet("/settings/socks", Handler(h => Run<SocksSettingsReply>(h, new SocksSettingsRequest(null, null, null), Results.Ok)));
        api.MapPut("/settings/socks", Handler(async h => await Body<SocksSettingsBody>(h) is not { } b ? BadBody
            : await Run<SocksSettingsReply>(h, new SocksSettingsRequest(b.Port, b.TlsPort, b.Allow), Results.Ok)));
        api.MapGet("/cluster", Handler(h => Run<ClusterReply>(h, new ClusterStatusRequest(), r => Results.Ok(r.Nodes))));
        api.MapGet("/audit", (HttpContext h, string? since, string? offset, string? limit) =>
            Paging.Read(offset, limit) is not { } page ? BadPaging
            : !TryTime(since, out var from) ? BadSince
            : Run<AuditReply>(h, new AuditRequest(from), r => Page(r.Entries, page)));
        api.MapGet("/apikeys", (HttpContext h, string? offset, string? limit) => Paging.Read(offset, limit) is not { } page ? BadPaging
            : Run<ApiKeysReply>(h, new ListApiKeysRequest(), r => Page(r.Keys, page)));
        api.MapPost("/apikeys", Handler(async h => await Body<ApiKeyBody>(h) is not { } b ? BadBody
            : await Created<ApiKeysReply, ApiKeyDto>(h, new CreateApiKeyRequest(b.Scope ?? "", b.Description ?? ""), new ListApiKeysRequest(),
                r => r.Keys, k => k.Id, (k, v) => k with { Value = v }, "apikeys")));
        api.MapDelete("/apikeys/{id}", (HttpContext h, string id) => Run<AdminCount>(h, new RemoveApiKeyRequest(id), _ => Results.NoContent()));
        api.MapFallback((HttpContext h) => Problem(StatusCodes.Status404NotFound, "Not found", $"no endpoint {h.Request.Method} {h.Request.Path}"))
            .ExcludeFromDescription();
    }

    /// <summary>A handler taking only the context: a route handler whose result is written, not a RequestDelegate.</summary>
    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    public sealed record TokenBody(string? Hostname);
    public sealed record RegistrationBody(string? Description, int? Uses, DateTimeOffset? Expires);
    public sealed record ApiKeyBody(string? Scope, string? Description);
    public sealed record QuotaBody(int? MaxTunnels, int? MaxPorts, System.Collections.Immutable.ImmutableList<string>? Domains, long? MonthlyBytes);
    public sealed record TunnelSettingsBody(int? MaxPoolSize, int? MaxPorts, bool? Monitor, int? MonitorIntervalSeconds, bool? AutoHostnames);
    public sealed record DomainSettingsBody(string? Name, bool? Force);
    public sealed record SocksSettingsBody(int? Port, int? TlsPort, string[]? Allow);
    public sealed record PageOf<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Traffic over the last <c>hour</c> (default, 10 s steps) or <c>day</c> (5 min steps), summed over the nodes'
    /// memory, or <c>month</c>: the last 30 days in one-day steps from the store's daily roll-ups.</summary>
    private static Task<IResult> Traffic(HttpContext http, string? tunnelId, string? period) => period?.ToLowerInvariant() switch
    {
        null or "" or "hour" => Run<TrafficHistoryReply>(http, new TrafficHistoryRequest(tunnelId, false), Results.Ok),
        "day" => Run<TrafficHistoryReply>(http, new TrafficHistoryRequest(tunnelId, true), Results.Ok),
        "month" => Run<TrafficHistoryReply>(http, new TrafficRollupsRequest(tunnelId), Results.Ok),
        _ => Task.FromResult(Problem(StatusCodes.Status400BadRequest, "Bad period", "period is hour, day or month")),
    };

    private static readonly IResult BadBody =
        Problem(StatusCodes.Status400BadRequest, "Bad request body", $"the body must be a JSON object of at most {MaxBody / 1024} KiB");

    private static async Task<IResult> Run<T>(HttpContext http, IAdminRequest request, Func<T, IResult> answer) where T : IWireMessage
    {
        var reply = await http.RequestServices.GetRequiredService<AdminOperations>().HandleAsync(request, (string)http.Items[ByKey]!, http.RequestAborted);
        return reply switch
        {
            Refusal refusal => ProblemFor(refusal),
            T ok => answer(ok),
            _ => Problem(StatusCodes.Status500InternalServerError, "Unexpected reply", $"the cluster answered {reply.GetType().Name}"),
        };
    }

    /// <summary>Creates, then answers 201 with the listing's object and the whole value, this once.</summary>
    private static async Task<IResult> Created<TList, TItem>(HttpContext http, IAdminRequest create, IAdminRequest list,
        Func<TList, IEnumerable<TItem>> items, Func<TItem, string> id, Func<TItem, string, TItem> withValue, string noun)
        where TList : IWireMessage where TItem : class
    {
        var operations = http.RequestServices.GetRequiredService<AdminOperations>();
        var by = (string)http.Items[ByKey]!;
        var reply = await operations.HandleAsync(create, by, http.RequestAborted);
        if (reply is Refusal refusal) return ProblemFor(refusal);
        if (reply is not AdminSecretCreated created)
            return Problem(StatusCodes.Status500InternalServerError, "Unexpected reply", $"the cluster answered {reply.GetType().Name}");
        var listed = await operations.HandleAsync(list, by, http.RequestAborted) is TList all ? items(all).FirstOrDefault(i => id(i) == created.Id) : null;
        return listed is null
            ? Problem(StatusCodes.Status503ServiceUnavailable, "Created, not listed yet", $"{created.Id} was created but is not listed yet; list {noun} again")
            : Results.Created($"/api/v1/{noun}/{created.Id}", withValue(listed, created.Value));
    }

    // Query values are bound as text and read here: minimal API's own binding answers a value that does not parse
    // (limit=abc) with an empty 400, before the filter has authenticated the caller.

    /// <summary>A listing's <c>offset</c> (default 0) and <c>limit</c> (default 100, at most <see cref="MaxPage"/>).</summary>
    private readonly record struct Paging(int Offset, int Limit)
    {
        public static Paging? Read(string? offset, string? limit)
        {
            int from = 0, size = 100;
            return (offset is null || int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out from))
                && (limit is null || int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size))
                && size is >= 1 and <= MaxPage
                ? new Paging(from, size)
                : null;
        }
    }

    /// <summary>A flag: absent is false; otherwise <c>true</c> or <c>false</c>; anything else is null.</summary>
    private static bool? Flag(string? text) => text is null ? false : bool.TryParse(text, out var value) ? value : null;

    private static bool TryTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (text is null) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return false;
        time = parsed;
        return true;
    }

    private static readonly Task<IResult> BadPaging = Task.FromResult(
        Problem(StatusCodes.Status400BadRequest, "Bad paging", $"offset must be a whole number ≥ 0 and limit one between 1 and {MaxPage}"));

    private static readonly Task<IResult> BadFlag = Task.FromResult(
        Problem(StatusCodes.Status400BadRequest, "Bad query", "all and online are true or false"));

    private static readonly Task<IResult> BadSince = Task.FromResult(
        Problem(StatusCodes.Status400BadRequest, "Bad query", "since is a date and time, ISO 8601 (2026-12-01T08:00:00Z)"));

    private static IResult Page<T>(IReadOnlyList<T> all, Paging page)
    {
        var from = Math.Min(page.Offset, all.Count);
        return Results.Ok(new PageOf<T>(all.Skip(from).Take(page.Limit).ToList(), all.Count, from, page.Limit));
    }

    private static async Task<T?> Body<T>(HttpContext http) where T : class
    {
        if (http.Request.ContentLength is > MaxBody) return null;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            if (buffer.Length > MaxBody) return null;
            return buffer.Length == 0 ? null : JsonSerializer.Deserialize<T>(buffer.ToArray(), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult ProblemFor(Refusal refusal) => Problem(refusal.Code switch
    {
        ErrorCode.Invalid => StatusCodes.Status400BadRequest,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.Conflict => StatusCodes.Status409Conflict,
        ErrorCode.Unauthorized => StatusCodes.Status403Forbidden,
        ErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.Exhausted or ErrorCode.QuotaReached => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    }, refusal.Code.ToString(), refusal.Message);

    public static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);
}
