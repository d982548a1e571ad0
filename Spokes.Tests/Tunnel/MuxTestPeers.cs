using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Spokes.Tunnel.Frames;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

/// <summary>Builds connected sessions over tiny in-memory pipes or loopback TCP, and raw peers for malformed input.</summary>
internal static class MuxTestPeers
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Two connected transports; small thresholds force backpressure on every write.</summary>
    public static (IDuplexPipe Client, IDuplexPipe Server) PipePair(long pauseThreshold = 1024)
    {
        var options = new PipeOptions(pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2,
            minimumSegmentSize: 512, useSynchronizationContext: false);
        var up = new Pipe(options);
        var down = new Pipe(options);
        return (new Duplex(down.Reader, up.Writer), new Duplex(up.Reader, down.Writer));
    }

    public static (MuxSession Client, MuxSession Server) Sessions(MuxOptions? options = null, long pauseThreshold = 1024)
    {
        var (client, server) = PipePair(pauseThreshold);
        return (new MuxSession(client, isClient: true, options), new MuxSession(server, isClient: false, options));
    }

    public static async Task<(MuxSession Client, MuxSession Server)> TcpSessionsAsync(MuxOptions? options = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await accept.WaitAsync(Timeout);
        server.NoDelay = true;
        return (MuxSession.Create(new NetworkStream(client, ownsSocket: true), isClient: true, options),
            MuxSession.Create(new NetworkStream(server, ownsSocket: true), isClient: false, options));
    }

    /// <summary>A session plus the raw far end of its connection, to inject arbitrary bytes.</summary>
    public static (MuxSession Session, PipeWriter RawOut, PipeReader RawIn) RawPeer(bool sessionIsClient = false)
    {
        var (near, far) = PipePair(pauseThreshold: 1 << 20);
        return (new MuxSession(near, sessionIsClient), far.Output, far.Input);
    }

    public static async Task SendRawAsync(PipeWriter output, FrameHeader header, ReadOnlyMemory<byte> payload = default)
    {
        FrameWriter.Write(header, output);
        output.Write(payload.Span);
        await output.FlushAsync();
    }

    /// <summary>Reads frames until a GoAway arrives; returns its code, or null if the connection ended first.</summary>
    public static async Task<GoAwayCode?> ReadUntilGoAwayAsync(PipeReader input)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            ReadResult result = await input.ReadAsync(cts.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (FrameReader.TryParse(buffer, out FrameHeader header, out _, out SequencePosition consumed))
            {
                buffer = buffer.Slice(consumed);
                if (header.Type == FrameType.GoAway)
                {
                    input.AdvanceTo(buffer.Start);
                    return (GoAwayCode)header.Length;
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads frames until a Ping ACK arrives; returns its opaque value.</summary>
    public static async Task<uint> ReadUntilPingAckAsync(PipeReader input)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            ReadResult result = await input.ReadAsync(cts.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (FrameReader.TryParse(buffer, out FrameHeader header, out _, out SequencePosition consumed))
            {
                buffer = buffer.Slice(consumed);
                if (header.Type == FrameType.Ping && header.Has(FrameFlags.Ack))
                {
                    input.AdvanceTo(buffer.Start);
                    return header.Length;
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted, "connection ended before the Ping ACK");
        }
    }

    /// <summary>Reads until the connection ends (the session closed its output).</summary>
    public static async Task DrainToEndAsync(PipeReader input)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            ReadResult result = await input.ReadAsync(cts.Token);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    public static async Task<byte[]> ReadAllAsync(PipeReader reader, CancellationToken cancellationToken = default)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                all.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return all.WrittenSpan.ToArray();
            }
        }
    }

    public static async Task WriteAllAsync(PipeWriter writer, ReadOnlyMemory<byte> data, int chunk = 8192)
    {
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            await writer.WriteAsync(data.Slice(offset, Math.Min(chunk, data.Length - offset)));
        }
    }
}
