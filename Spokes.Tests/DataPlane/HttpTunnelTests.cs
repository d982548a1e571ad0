using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>Public HTTP on the node's HTTP port, routed by Host to agent jack and on to the Kestrel backend.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class HttpTunnelTests(TrafficFixture bed, ITestOutputHelper output)
{
    private const int FiveMiB = 5 * 1024 * 1024;

    [Fact]
    public Task SmallBody_ByHostHeader_EchoedByTheBackend() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var http = bed.Visitor.Http(TrafficFixture.AppDomain);

        using var response = await http.PostAsync("echo", new StringContent("hello through the tunnel"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello through the tunnel", await response.Content.ReadAsStringAsync());
    });

    [Fact]
    public Task Upload5MiB_BackendSeesTheSameSha256() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var http = bed.Visitor.Http(TrafficFixture.AppDomain);
        byte[] body = RandomNumberGenerator.GetBytes(FiveMiB);

        using var response = await http.PostAsync("upload", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{FiveMiB} {Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
    });

    [Fact]
    public Task Download5MiB_ArrivesWithTheBackendsSha256() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var http = bed.Visitor.Http(TrafficFixture.AppDomain);

        using var response = await http.GetAsync($"download/{FiveMiB}");
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FiveMiB, body.Length);
        Assert.Equal(response.Headers.GetValues("X-Sha256").Single(), Convert.ToHexString(SHA256.HashData(body)));
    });

    [Fact]
    public Task FiftyConcurrentRequests_AllAnsweredCorrectly() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var http = bed.Visitor.Http(TrafficFixture.AppDomain, maxConnections: 100);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            byte[] body = RandomNumberGenerator.GetBytes(16 * 1024 + i);
            using var response = await http.PostAsync("echo", new ByteArrayContent(body));
            return (Status: response.StatusCode, Same: (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(body));
        }));

        Assert.All(answers, answer => Assert.Equal((HttpStatusCode.OK, true), (answer.Status, answer.Same)));
    });

    [Fact]
    public Task KeepAlive_SeveralRequestsOnOneConnection_AllAnsweredOverOneBackendConnection() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var socket = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var connections = new List<string>();

        for (int i = 0; i < 3; i++)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {TrafficFixture.AppDomain}\r\n\r\n"));
            var (status, body) = await ReadResponseAsync(reader);
            Assert.Equal("HTTP/1.1 200 OK", status);
            connections.Add(body);
        }

        Assert.All(connections, body => Assert.StartsWith("hello from backend", body));
        Assert.Single(connections.Distinct());
    });

    [Fact]
    public Task WebSocket_ThroughTheTunnel_EchoesBothWays() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var socket = await bed.Visitor.WebSocketAsync(TrafficFixture.AppDomain, "/ws");
        using var cts = new CancellationTokenSource(Visitor.Patience);

        foreach (string message in new[] { "first", "second", new string('x', 100_000) })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, cts.Token);
            Assert.Equal(message, await ReceiveTextAsync(socket, cts.Token));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    });

    private static async Task<(string Status, string Body)> ReadResponseAsync(StreamReader reader)
    {
        using var cts = new CancellationTokenSource(Visitor.Patience);
        string status = await reader.ReadLineAsync(cts.Token) ?? throw new IOException("closed before a response");
        int length = 0;
        string? line;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(cts.Token)))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var body = new char[length];
        int read = 0;
        while (read < length)
        {
            int n = await reader.ReadAsync(body.AsMemory(read), cts.Token);
            if (n == 0)
            {
                throw new IOException("closed inside a body");
            }

            read += n;
        }

        return (status, new string(body));
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, ct);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(message.ToArray());
    }
}
