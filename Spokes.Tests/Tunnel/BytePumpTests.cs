using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class BytePumpTests
{
    [Fact]
    public async Task Relay_SocketThroughMuxToEchoService_PreservesHalfClose()
    {
        // visitor socket ⇄ [relay A] ⇄ mux stream ⇄ [relay B] ⇄ echo service socket
        var (client, server) = MuxTestPeers.Sessions(pauseThreshold: 4096);
        await using var _ = client;
        await using var __ = server;
        var (visitor, visitorSide) = await SocketPairAsync();
        var (service, serviceSide) = await SocketPairAsync();
        using var v = visitor;
        using var s = service;

        var opened = await client.OpenStreamAsync();
        var relayA = BytePump.RelayAsync(opened, new NetworkStream(visitorSide, ownsSocket: true), () => visitorSide.Shutdown(SocketShutdown.Send));
        var accepted = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        var relayB = BytePump.RelayAsync(accepted, new NetworkStream(serviceSide, ownsSocket: true), () => serviceSide.Shutdown(SocketShutdown.Send));
        var echo = Task.Run(async () =>
        {
            // The service reads to end of input (the visitor's FIN) and only then replies.
            using var stream = new NetworkStream(service);
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            var hash = SHA256.HashData(buffer.ToArray());
            await stream.WriteAsync(hash);
            service.Shutdown(SocketShutdown.Send);
        });

        var data = new byte[3 << 20];
        new Random(3).NextBytes(data);
        using var visitorStream = new NetworkStream(visitor);
        await visitorStream.WriteAsync(data);
        visitor.Shutdown(SocketShutdown.Send);
        var reply = new MemoryStream();
        await visitorStream.CopyToAsync(reply).WaitAsync(MuxTestPeers.Timeout);

        Assert.Equal(SHA256.HashData(data), reply.ToArray());
        var resultA = await relayA.WaitAsync(MuxTestPeers.Timeout);
        var resultB = await relayB.WaitAsync(MuxTestPeers.Timeout);
        Assert.Equal(new RelayResult(PumpResult.Success, data.Length, PumpResult.Success, 32), resultA);
        Assert.Equal(new RelayResult(PumpResult.Success, 32, PumpResult.Success, data.Length), resultB);
        await echo;
    }

    [Fact]
    public async Task Relay_StreamResetByPeer_ReportsErrorAndEnds()
    {
        var (client, server) = MuxTestPeers.Sessions();
        await using var _ = client;
        await using var __ = server;
        var (visitor, visitorSide) = await SocketPairAsync();
        using var v = visitor;

        var opened = await client.OpenStreamAsync();
        var relay = BytePump.RelayAsync(opened, new NetworkStream(visitorSide, ownsSocket: true));
        var accepted = (await server.AcceptStreamAsync().AsTask().WaitAsync(MuxTestPeers.Timeout))!;
        accepted.Reset();

        var result = await relay.WaitAsync(MuxTestPeers.Timeout);
        Assert.True(result.FromStream == PumpResult.InputError || result.ToStream != PumpResult.Success, result.ToString());
    }

    private static async Task<(Socket Client, Socket Server)> SocketPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept.WaitAsync(MuxTestPeers.Timeout));
    }
}
