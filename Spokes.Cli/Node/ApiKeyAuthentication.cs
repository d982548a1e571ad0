using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Edge.Sessions;

namespace Spokes.Cli.Node;

/// <summary>
/// Bearer API keys for the operators' endpoints (<c>/metrics</c>): <c>Authorization: Bearer spk_…</c>, checked against
/// its entity on every request (a revoked key is refused at once on every node), compared in constant time. An
/// address whose keys were refused 10 times within a minute is answered 429 without any entity being asked — the
/// same window as agents' keys (<see cref="AgentGate"/>). Refusals are RFC 9457 problem details and are logged once
/// per 10 s with a count; the key itself never is.
/// </summary>
internal sealed class ApiKeyAuthentication(AdminOperations operations, AgentGate gate, ApiKeyUsage usage, ILogger<ApiKeyAuthentication> log)
{
    private readonly RefusalTally _refusals = RefusalTally.Every10Seconds();

    /// <summary>The key the request carries, or null after answering 401 or 429.</summary>
    public async Task<ApiKeyState?> AuthenticateAsync(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress?.MapToIPv4();
        if (gate.RetryAfter(address) is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
            await AdminApi.Problem(StatusCodes.Status429TooManyRequests, "Too many refused API keys",
                $"too many refused API keys from {address}; try again in {Math.Ceiling(wait.TotalSeconds):0} s").ExecuteAsync(context);
            return null;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var value = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        var key = value.Length == 0 ? null : await operations.AuthenticateApiKeyAsync(value);
        if (key is not null)
        {
            // Reads are summed into the audit trail per period; a change is audited by its operation, as the key.
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                usage.Record(key.Id, context.Request.Method, context.Request.Path.Value ?? "/", address?.ToString() ?? "unknown");
            return key;
        }
        if (value.Length > 0) gate.Failed(address);
        if (_refusals.Note(out var more))
            log.LogInformation("{Path} from {Client} refused: {Reason}{More}", context.Request.Path, address,
                value.Length == 0 ? "no API key" : "unknown or revoked API key", more);
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"spokes\"";
        await AdminApi.Problem(StatusCodes.Status401Unauthorized, "API key required",
            value.Length == 0 ? "send an API key as 'Authorization: Bearer <key>' (spokes apikey create)" : "the API key is unknown or revoked")
            .ExecuteAsync(context);
        return null;
    }
}
