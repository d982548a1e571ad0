using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;

namespace Spokes.Tests.Edge.Acme;

/// <summary>The HTTP router answers http-01 challenges for tunnel domains itself (SPEC §8), before relaying.</summary>
public sealed class HttpRouterChallengeTests
{
    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    [Fact]
    public async Task A_held_token_is_answered_on_the_edge_for_a_tunnel_domain()
    {
        var store = new AcmeChallengeStore();
        store.Add("tok123", "tok123.thumb");
        // No relay: the challenge must be answered before anything is relayed.
        var router = new HttpRouter(null!, new EdgeIdentity("node", "spokes.test", "127.0.0.1:1", "127.0.0.1:1"), store, new Spokes.Edge.Routing.RouteTableSource(), NullLogger<HttpRouter>.Instance);
        var (connection, visitorIn, visitorOut) = Connection();

        await visitorOut.WriteAsync(Encoding.ASCII.GetBytes("GET /.well-known/acme-challenge/tok123 HTTP/1.1\r\nHost: app.example.org\r\n\r\n"));
        await router.OnConnectionAsync(connection, _ => throw new InvalidOperationException("must not reach Kestrel"))
            .WaitAsync(TimeSpan.FromSeconds(10));

        var response = await ReadAllAsync(visitorIn);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("Content-Type: text/plain\r\n", response);
        Assert.EndsWith("\r\n\r\ntok123.thumb", response);
    }

    [Fact]
    public async Task The_own_domain_goes_on_to_kestrel()
    {
        var store = new AcmeChallengeStore();
        store.Add("tok123", "tok123.thumb");
        var router = new HttpRouter(null!, new EdgeIdentity("node", "spokes.test", "127.0.0.1:1", "127.0.0.1:1"), store, new Spokes.Edge.Routing.RouteTableSource(), NullLogger<HttpRouter>.Instance);
        var (connection, _, visitorOut) = Connection();
        await visitorOut.WriteAsync(Encoding.ASCII.GetBytes("GET /.well-known/acme-challenge/tok123 HTTP/1.1\r\nHost: spokes.test\r\n\r\n"));
        var reached = false;
        await router.OnConnectionAsync(connection, _ =>
        {
            reached = true;
            return Task.CompletedTask;
        }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(reached);
    }

    private static (ConnectionContext Connection, PipeReader VisitorIn, PipeWriter VisitorOut) Connection()
    {
        var toServer = new Pipe();
        var toVisitor = new Pipe();
        var transport = new Duplex(toServer.Reader, toVisitor.Writer);
        var application = new Duplex(toVisitor.Reader, toServer.Writer);
        return (new DefaultConnectionContext("test", transport, application), toVisitor.Reader, toServer.Writer);
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await reader.ReadAsync(cts.Token);
            if (read.IsCompleted)
            {
                var text = Encoding.ASCII.GetString(BuffersExtensions.ToArray(read.Buffer));
                reader.AdvanceTo(read.Buffer.End);
                return text;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
