using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Spokes.Actors.Gateway;
using Spokes.Admin.Security;
using Spokes.Admin.Services;

namespace Spokes.Admin.Endpoints;

/// <summary>The Audit page's export: the entries it shows (same filters), as a JSON file. An HTTP response, because a
/// Blazor circuit cannot hand the browser a download.</summary>
internal static class AuditEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/audit/export", async (HttpContext http, string? who, string? what, string? period, IAuditLog log, TimeProvider time) =>
        {
            var outcome = await log.ListAsync(AuditLog.Since(period, time.GetUtcNow()));
            if (!outcome.Ok) return Results.Problem(detail: outcome.Error, statusCode: StatusCodes.Status503ServiceUnavailable);
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"spokes-audit-{time.GetUtcNow():yyyyMMdd-HHmmss}.json\"";
            return Results.Json(AuditLog.Filter(outcome.Value!, who, what), Json);
        }).RequireAuthorization(p => p.AddAuthenticationSchemes(ConsoleClaims.Scheme).RequireAuthenticatedUser());
}
