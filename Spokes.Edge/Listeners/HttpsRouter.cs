using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Security;
using Spokes.Edge.Certificates;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Edge.Sniffing;
using Spokes.Edge.Tls;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Listeners;

/// <summary>
/// On the HTTPS port, before TLS: routes by the ClientHello's SNI. The server's own name (or none), and the
/// cluster's name used by peer nodes, go on to Kestrel's TLS (console, agents, relay links); a tunnel's
/// name is relayed raw to its agent, so the visitor sees the service's own certificate — unless the rule has no
/// TLS port of its own but a plain-HTTP one and the server's certificate covers the name (a wildcard under the
/// server's domain): then the edge terminates TLS and relays the plain HTTP to the agent (edge-terminated HTTPS).
/// </summary>
public sealed class HttpsRouter(PublicRelay relay, EdgeIdentity identity, RouteTableSource routes, ServerCertificate certificate,
    ILogger<HttpsRouter> log) : PeekingRouter(relay, identity, log)
{
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(10);

    private static readonly byte[] Misdirected = Encoding.ASCII.GetBytes(
        "HTTP/1.1 421 Misdirected Request\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nConnection: close\r\n\r\n" +
        "the Host header does not match the TLS SNI");

    private readonly PublicRelay _relay = relay;

    protected override StreamKind Kind => StreamKind.Tls;

    private protected override async ValueTask<(SniffResult Result, string? Name)> PeekNameAsync(ConnectionContext connection)
    {
        var (result, hello) = await ConnectionPeek.PeekClientHelloAsync(connection.Transport.Input, PeekTimeout, connection.ConnectionClosed);
        return (result, hello?.ServerName);
    }

    protected override bool IsOwnName(string name) => base.IsOwnName(name) || name == ClusterCredentials.ServerName;

    /// <summary>Whether the edge terminates TLS for <paramref name="name"/>: its rule forwards plain HTTP only, has no
    /// certificate of its own (the agent terminates those), and the server's certificate covers the name.</summary>
    public bool Terminates(string name) =>
        routes.Current.HttpRules.TryGetValue(name, out var rule) && rule is { TlsPort: null, HttpPort: not null, CustomCertificate: false, LetsEncrypt: false }
        && CertificateMatcher.Covers(certificate.Current, name);

    private protected override async ValueTask<bool> ServeAtEdgeAsync(ConnectionContext connection, string name)
    {
        if (!Terminates(name)) return false;
        var remote = connection.RemoteEndPoint;
        if (!routes.Current.Admits(name, null, (remote as IPEndPoint)?.Address))
        {
            connection.Abort();
            return true;
        }
        await using var tls = new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            handshake.CancelAfter(PeekTimeout);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate.Context,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            }, handshake.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            connection.Abort();
            return true;
        }
        var plain = new TlsPipe(PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true)));
        var (result, head) = await ConnectionPeek.PeekHttpHeadAsync(plain.Input, HttpRouter.PeekTimeout, connection.ConnectionClosed);
        if (result != SniffResult.Found || head is null)
        {
            connection.Abort();
            return true;
        }
        if (!string.Equals(head.Host, name, StringComparison.OrdinalIgnoreCase))
        {
            await plain.Output.WriteAsync(Misdirected);
            await plain.Output.CompleteAsync();
            await tls.ShutdownAsync();
            return true;
        }
        await _relay.ServeAsync(plain, remote, StreamKind.Http, name, connection.Abort, connection.ConnectionClosed, edgeTls: true);
        try
        {
            await tls.ShutdownAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The visitor is gone already.
        }
        return true;
    }

    private sealed record TlsPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
