using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Spokes.Agent.Http;

/// <summary>
/// <c>--webroot DIR</c>: static files from DIR (index.html for a directory, content types, ranges, conditional GETs
/// by ASP.NET's file result). Never a file outside DIR: <c>..</c> and dot segments are refused, and the real path
/// (every symbolic link resolved) must lie under DIR's real path. Hidden names (<c>.git</c>, <c>.env</c>) are not served.
/// </summary>
internal static class Webroot
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static async Task ServeAsync(HttpContext context, string root)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }

        string path = context.Request.Path.Value ?? "/";
        if (Resolve(root, path) is not { } file)
        {
            await NotFoundAsync(context);
            return;
        }

        if (Directory.Exists(file))
        {
            if (!path.EndsWith('/'))
            {
                context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
                context.Response.Headers.Location = path + "/" + context.Request.QueryString;
                return;
            }

            file = Resolve(root, path + "index.html") ?? "";
            if (!File.Exists(file))
            {
                await NotFoundAsync(context);
                return;
            }
        }

        var info = new FileInfo(file);
        string contentType = ContentTypes.TryGetContentType(file, out var type) ? type : "application/octet-stream";
        var etag = new EntityTagHeaderValue($"\"{info.LastWriteTimeUtc.Ticks:x}-{info.Length:x}\"");
        await Results.File(file, contentType, lastModified: info.LastWriteTimeUtc, entityTag: etag, enableRangeProcessing: true)
            .ExecuteAsync(context);
    }

    /// <summary>The file a request path names under <paramref name="root"/>, or null when it is outside, hidden or missing.</summary>
    public static string? Resolve(string root, string requestPath)
    {
        var segments = requestPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s.StartsWith('.') || s.Contains('\\') || s.Contains('\0')))
        {
            return null;
        }

        string? realRoot = RealPath(Path.GetFullPath(root), 0);
        if (realRoot is null)
        {
            return null;
        }

        string candidate = Path.GetFullPath(Path.Combine([realRoot, .. segments]));
        string? real = RealPath(candidate, 0);
        return real is not null && (real == realRoot || real.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal)) ? real : null;
    }

    /// <summary>The path with every symbolic link resolved, or null when a part does not exist (or links loop).</summary>
    private static string? RealPath(string path, int depth)
    {
        if (depth > 16)
        {
            return null;
        }

        string current = Path.GetPathRoot(path) ?? "/";
        foreach (var part in path[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            FileSystemInfo entry = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!entry.Exists && entry.LinkTarget is null)
            {
                return null;
            }

            if (entry.LinkTarget is { } target)
            {
                string resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                next = RealPath(resolved, depth + 1) ?? "";
                if (next.Length == 0)
                {
                    return null;
                }
            }

            current = next;
        }

        return current;
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("not found\n", context.RequestAborted);
    }
}
