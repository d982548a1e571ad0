using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>TLS passthrough by SNI on the HTTPS port, and raw TCP on a leased port.</summary>
[Collection(DataPlaneCollection.Name)]
public sealed class TlsAndTcpTunnelTests(TrafficFixture bed, ITestOutputHelper output)
{
    [Fact]
    public Task TlsPassthrough_BySni_VisitorSeesTheBackendsCertificateAndExchangesData() => bed.Bed.ScenarioAsync(output, async () =>
    {
        var (tls, certificate) = await bed.Visitor.TlsAsync(TlsBackend.Name);
        await using var _ = tls;

        Assert.Equal(bed.TlsBackend.Certificate.Thumbprint, certificate.Thumbprint);
        await tls.WriteAsync("ping"u8.ToArray());
        Assert.Equal("tls-echo:ping", Encoding.ASCII.GetString(await ReadExactlyAsync(tls, "tls-echo:ping".Length)));
    });

    [Fact]
    public Task TcpLease_4MiBRandomBytes_EchoedIntactAfterHalfClose() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var socket = await bed.Visitor.ConnectAsync(bed.LeasedPort);
        byte[] payload = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);

        var reading = Visitor.ReadToEndAsync(socket);
        await Visitor.SendAllAsync(socket, payload);
        // The backend answers only after our FIN reached it: the reply proves half-close went through both hops.
        socket.Shutdown(SocketShutdown.Send);
        byte[] echoed = await reading;

        Assert.Equal(payload.Length, echoed.Length);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(echoed));
    });

    [Fact]
    public Task TcpLease_SmallExchange_ReplyStillArrivesAfterVisitorShutsDownSending() => bed.Bed.ScenarioAsync(output, async () =>
    {
        using var socket = await bed.Visitor.ConnectAsync(bed.LeasedPort);

        await Visitor.SendAllAsync(socket, "question"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);

        Assert.Equal("question", Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(socket)));
    });

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(Visitor.Patience);
        await stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }
}
