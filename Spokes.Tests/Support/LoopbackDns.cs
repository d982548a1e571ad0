using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Spokes.Tests.Support;

/// <summary>
/// A DNS server on 127.0.0.1 (UDP, a free port) that answers every A question with 127.0.0.1 and every other
/// question with no answer: lets pebble validate a tunnel's domain (e.g. <c>le.example.com</c>) against the node
/// on loopback, never asking a real resolver.
/// </summary>
internal sealed class LoopbackDns : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();

    public LoopbackDns() => _ = ServeAsync();

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_udp.Client.LocalEndPoint!).Port}";

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Answer(query.Buffer) is { } answer)
                await _udp.SendAsync(answer, query.RemoteEndPoint);
        }
    }

    /// <summary>The response to one query (one question), or null for anything else.</summary>
    internal static byte[]? Answer(byte[] query)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1) return null;
        int end = 12;
        while (end < query.Length && query[end] != 0) end += query[end] + 1;
        end += 1 + 4; // the root label, QTYPE, QCLASS
        if (end > query.Length) return null;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(end - 4));
        bool a = type == 1;
        var response = new byte[end + (a ? 16 : 0)];
        query.AsSpan(0, end).CopyTo(response);
        response[2] = (byte)(0x80 | (query[2] & 0x01)); // QR, the query's RD
        response[3] = 0x80; // RA, NOERROR
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)(a ? 1 : 0)); // ANCOUNT
        BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(8), 0); // NSCOUNT, ARCOUNT
        if (a)
        {
            var rr = response.AsSpan(end);
            BinaryPrimitives.WriteUInt16BigEndian(rr, 0xC00C); // the question's name
            BinaryPrimitives.WriteUInt16BigEndian(rr[2..], 1); // A
            BinaryPrimitives.WriteUInt16BigEndian(rr[4..], 1); // IN
            BinaryPrimitives.WriteUInt32BigEndian(rr[6..], 5); // TTL
            BinaryPrimitives.WriteUInt16BigEndian(rr[10..], 4);
            IPAddress.Loopback.GetAddressBytes().CopyTo(rr[12..]);
        }
        return response;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _stop.Dispose();
    }
}
