using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>
/// The service behind the tunnel: Kestrel on 127.0.0.1:0. <c>/hello</c> names the backend connection that
/// served it (to see keep-alive reuse), <c>/echo</c> returns the body, <c>/upload</c> its size and SHA-256,
/// <c>/download/N</c> N random bytes with their SHA-256 in <c>X-Sha256</c>, <c>/ws</c> echoes WebSocket messages.
/// </summary>
internal sealed class HttpBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<HttpBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/hello", (HttpContext context) => Results.Text($"hello from backend, connection {context.Connection.Id}"));
        app.MapGet("/host", (HttpContext context) => Results.Text(context.Request.Host.Value ?? ""));
        app.MapPost("/echo", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/octet-stream";
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        app.MapPost("/upload", async (HttpContext context) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long size = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                size += read;
            }

            return Results.Text($"{size} {Convert.ToHexString(hash.GetHashAndReset())}");
        });
        app.MapGet("/download/{size:int}", (int size, HttpContext context) =>
        {
            byte[] body = RandomNumberGenerator.GetBytes(size);
            context.Response.Headers["X-Sha256"] = Convert.ToHexString(SHA256.HashData(body));
            return Results.Bytes(body, "application/octet-stream");
        });
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpBackend(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
