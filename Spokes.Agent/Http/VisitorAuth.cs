using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Security;

namespace Spokes.Agent.Http;

/// <summary>
/// Visitor auth of a rule, decided on every request: <c>--basic-user/--basic-pass</c> (401 with WWW-Authenticate until
/// the right credentials come) and <c>--password</c> (a login page, then a signed session cookie scoped to the domain).
/// The config holds PBKDF2 hashes only; a verified Authorization value is remembered (as a digest) so only the first
/// request of a visitor pays for the hash. Failed attempts are throttled per visitor address and site, and one hash is
/// computed at a time, so guessing cannot starve the tunnel's traffic.
/// </summary>
internal sealed class VisitorAuth(Func<string> signingSecret, TimeProvider time)
{
    public const string LoginPath = "/.spokes/login";
    public const string CookieName = "spokes_auth";
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);
    private const int FailuresPerWindow = 5;
    private static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(1);
    private const int MaxRemembered = 4096;

    private readonly SemaphoreSlim _hashing = new(1, 1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>True when the request may go on; otherwise the answer (401, login page, 429, redirect) is written.</summary>
    public async Task<bool> AdmitAsync(HttpContext context, HttpRule rule, bool secure)
    {
        if (rule is { BasicUser: { } user, BasicPass: { } basicHash } && !await BasicAdmitsAsync(context, rule.Domain, user, basicHash))
        {
            return false;
        }

        return rule.Password is not { } passwordHash || await PasswordAdmitsAsync(context, rule.Domain, passwordHash, secure);
    }

    private async Task<bool> BasicAdmitsAsync(HttpContext context, string domain, string user, string hash)
    {
        string? authorization = context.Request.Headers.Authorization;
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
            && Decode(authorization[6..].Trim()) is { } credentials && credentials.IndexOf(':') is var colon and > 0)
        {
            string given = credentials[..colon];
            string password = credentials[(colon + 1)..];
            string remembered = Digest(hash, authorization);
            if (_verified.TryGetValue(remembered, out var until) && until > time.GetUtcNow())
            {
                return true;
            }

            if (Throttled(context))
            {
                await WriteAsync(context, StatusCodes.Status429TooManyRequests, "too many failed sign-ins from this address; try again in a minute");
                return false;
            }

            bool userMatches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(user));
            if (await VerifyAsync(password, hash, context.RequestAborted) && userMatches)
            {
                Remember(remembered);
                return true;
            }

            Failed(context);
        }

        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{domain}\", charset=\"UTF-8\"";
        await WriteAsync(context, StatusCodes.Status401Unauthorized, "sign-in required");
        return false;
    }

    private async Task<bool> PasswordAdmitsAsync(HttpContext context, string domain, string hash, bool secure)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && ValidCookie(cookie, domain, hash))
        {
            if (context.Request.Path == LoginPath)
            {
                Redirect(context, ReturnPath(context.Request.Query["return"]));
                return false;
            }

            return true;
        }

        if (context.Request.Path == LoginPath && HttpMethods.IsPost(context.Request.Method))
        {
            if (Throttled(context))
            {
                await LoginPageAsync(context, domain, StatusCodes.Status429TooManyRequests, "Too many failed attempts from this address; try again in a minute.");
                return false;
            }

            var form = context.Request.HasFormContentType && context.Request.ContentLength is null or <= 4096
                ? await context.Request.ReadFormAsync(context.RequestAborted)
                : null;
            string? password = form?["password"];
            if (password is not null && await VerifyAsync(password, hash, context.RequestAborted))
            {
                var expires = time.GetUtcNow() + SessionLifetime;
                context.Response.Cookies.Append(CookieName, IssueCookie(domain, hash, expires), new CookieOptions
                {
                    HttpOnly = true, Secure = secure, SameSite = SameSiteMode.Lax, Path = "/", Expires = expires,
                });
                Redirect(context, ReturnPath(form!["return"]));
                return false;
            }

            Failed(context);
            await LoginPageAsync(context, domain, StatusCodes.Status401Unauthorized, "Wrong password.", form?["return"]);
            return false;
        }

        await LoginPageAsync(context, domain, StatusCodes.Status401Unauthorized, null,
            context.Request.Path == LoginPath ? context.Request.Query["return"] : context.Request.Path + context.Request.QueryString);
        return false;
    }

    private async Task<bool> VerifyAsync(string password, string hash, CancellationToken cancellationToken)
    {
        await _hashing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => PasswordHasher.Verify(password, hash), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _hashing.Release();
        }
    }

    /// <summary>expiry (unix seconds) . HMAC(domain, expiry, the password's hash) — changing the password ends every session.</summary>
    private string IssueCookie(string domain, string hash, DateTimeOffset expires)
    {
        string expiry = expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return expiry + "." + Sign(domain, hash, expiry);
    }

    private bool ValidCookie(string cookie, string domain, string hash)
    {
        int dot = cookie.IndexOf('.');
        if (dot <= 0 || !long.TryParse(cookie.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiry)
            || DateTimeOffset.FromUnixTimeSeconds(Math.Min(expiry, 253402300799)) <= time.GetUtcNow())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie[(dot + 1)..]),
            Encoding.ASCII.GetBytes(Sign(domain, hash, cookie[..dot])));
    }

    private string Sign(string domain, string hash, string expiry)
    {
        byte[] key = SHA256.HashData(Encoding.UTF8.GetBytes("spokes visitor session\n" + signingSecret()));
        byte[] mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{domain.ToLowerInvariant()}\n{expiry}\n{hash}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private bool Throttled(HttpContext context) =>
        _failures.TryGetValue(Client(context), out var failures) && failures.Count(time.GetUtcNow()) >= FailuresPerWindow;

    private void Failed(HttpContext context)
    {
        if (_failures.Count > MaxRemembered)
        {
            _failures.Clear();
        }

        _failures.GetOrAdd(Client(context), _ => new Failures()).Add(time.GetUtcNow());
    }

    private void Remember(string digest)
    {
        if (_verified.Count > MaxRemembered)
        {
            _verified.Clear();
        }

        _verified[digest] = time.GetUtcNow() + TimeSpan.FromMinutes(10);
    }

    private static string Client(HttpContext context) =>
        (context.Connection.RemoteIpAddress?.ToString() ?? "unknown") + " " + context.Request.Host.Host.ToLowerInvariant();

    private static string Digest(string hash, string authorization) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(hash + "\n" + authorization)));

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Only a path on this site: never another origin (<c>//host</c>, <c>/\host</c>, a scheme).</summary>
    private static string ReturnPath(string? value) =>
        value is { Length: > 0 } && value[0] == '/' && (value.Length == 1 || value[1] is not '/' and not '\\') && !value.StartsWith(LoginPath, StringComparison.Ordinal)
            ? value
            : "/";

    private static void Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
        context.Response.Headers.CacheControl = "no-store";
    }

    private static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    private static Task LoginPageAsync(HttpContext context, string domain, int status, string? error, string? returnPath = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XFrameOptions = "DENY";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
        string html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in — {{WebUtility.HtmlEncode(domain)}}</title>
            <style>body{font-family:system-ui,sans-serif;display:flex;justify-content:center;margin-top:15vh}form{display:flex;flex-direction:column;gap:.75rem;width:18rem}input,button{font-size:1rem;padding:.5rem}.error{color:#b00020}</style>
            </head><body><form method="post" action="{{LoginPath}}">
            <h1 style="font-size:1.25rem">{{WebUtility.HtmlEncode(domain)}}</h1>
            {{(error is null ? "" : $"<p class=\"error\">{WebUtility.HtmlEncode(error)}</p>")}}
            <input type="password" name="password" placeholder="Password" autofocus required autocomplete="current-password">
            <input type="hidden" name="return" value="{{WebUtility.HtmlEncode(ReturnPath(returnPath))}}">
            <button type="submit">Sign in</button>
            </form></body></html>
            """;
        return context.Response.WriteAsync(html, context.RequestAborted);
    }

    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _times = new();

        public int Count(DateTimeOffset now)
        {
            lock (_times)
            {
                while (_times.Count > 0 && now - _times.Peek() > FailureWindow)
                {
                    _times.Dequeue();
                }

                return _times.Count;
            }
        }

        public void Add(DateTimeOffset now)
        {
            lock (_times)
            {
                _times.Enqueue(now);
                while (_times.Count > FailuresPerWindow)
                {
                    _times.Dequeue();
                }
            }
        }
    }
}
