using System.Globalization;
using System.Security.Claims;
using Spokes.Actors.Users;

namespace Spokes.Admin.Security;

/// <summary>The two cookies of the console: the session, and the short-lived "password was right, now the
/// code" step of a two-factor sign-in (which may carry a seed being enrolled; the cookie is encrypted by
/// ASP.NET Core data protection).</summary>
public static class ConsoleClaims
{
    public const string Scheme = "spokes-console";
    public const string PendingScheme = "spokes-console-2fa";
    public const string UserId = ClaimTypes.NameIdentifier;
    public const string Email = ClaimTypes.Name;
    public const string Stamp = "spokes:stamp";
    public const string EnrolSecret = "spokes:enrol";
    public const string SessionId = "spokes:sid";

    /// <summary>The session cookie's principal: the user, their stamp, and the server-side session it belongs to.</summary>
    public static ClaimsPrincipal Session(UserState user, string sessionId) => new(new ClaimsIdentity(
    [
        new Claim(UserId, user.Id),
        new Claim(Email, user.Email),
        new Claim(Stamp, user.SecurityStamp.ToString(CultureInfo.InvariantCulture)),
        new Claim(SessionId, sessionId),
    ], Scheme));

    public static ClaimsPrincipal Pending(UserState user, string? enrolSecret)
    {
        var claims = new List<Claim>
        {
            new(UserId, user.Id),
            new(Email, user.Email),
            new(Stamp, user.SecurityStamp.ToString(CultureInfo.InvariantCulture)),
        };
        if (enrolSecret is not null) claims.Add(new Claim(EnrolSecret, enrolSecret));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, PendingScheme));
    }

    public static string? UserIdOf(ClaimsPrincipal? p) => p?.FindFirstValue(UserId);
    public static string EmailOf(ClaimsPrincipal? p) => p?.FindFirstValue(Email) ?? "";
    public static string? SessionOf(ClaimsPrincipal? p) => p?.FindFirstValue(SessionId);

    /// <summary>Who a console action is recorded as: <c>console &lt;email&gt;</c>, or <c>console</c> without a user.</summary>
    public static string AuthorOf(ClaimsPrincipal? p) => EmailOf(p) is { Length: > 0 } email ? "console " + email : "console";

    /// <summary><see cref="AuthorOf"/> of a component's cascading authentication state (null: no user).</summary>
    public static async Task<string> AuthorOf(Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? state) =>
        state is null ? "console" : AuthorOf((await state).User);

    public static int? StampOf(ClaimsPrincipal? p) =>
        int.TryParse(p?.FindFirstValue(Stamp), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
}
