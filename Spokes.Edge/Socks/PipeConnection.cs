using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Socks;

/// <summary>A connection that did not come from Kestrel — a SOCKS client's socket or its TLS, the socket to an allowed
/// destination, a stream an agent opened for a port map — shaped as Kestrel's connections are, so the HTTP and HTTPS
/// routers take it like one of their own. Over a plain socket, completing <see cref="Transport"/>'s output half-closes
/// it (the peer reads its end and may still answer); aborting or disposing closes it.</summary>
internal sealed class PipeConnection : ConnectionContext
{
    private readonly Action _abort;
    private readonly Func<ValueTask> _dispose;
    private readonly CancellationTokenSource _closed = new();

    private PipeConnection(IDuplexPipe transport, EndPoint? remote, EndPoint? local, Action abort, Func<ValueTask> dispose)
    {
        Transport = transport;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        ConnectionClosed = _closed.Token;
        _abort = abort;
        _dispose = dispose;
    }

    /// <summary>A plain socket: output completion sends FIN.</summary>
    public static PipeConnection Over(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        var pipe = new Duplex(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(new HalfClosing(stream, socket), new StreamPipeWriterOptions(leaveOpen: false)));
        return new PipeConnection(pipe, socket.RemoteEndPoint, socket.LocalEndPoint, stream.Dispose, () => stream.DisposeAsync());
    }

    /// <summary>A stream (TLS): closed when the connection is disposed.</summary>
    public static PipeConnection Over(Stream stream, EndPoint? remote, EndPoint? local)
    {
        var pipe = new Duplex(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
        return new PipeConnection(pipe, remote, local, stream.Dispose, () => stream.DisposeAsync());
    }

    /// <summary>A mux stream the agent opened: aborting resets it.</summary>
    public static PipeConnection Over(MuxStream stream, EndPoint? agent) =>
        new(stream, agent, null, stream.Reset, () => stream.DisposeAsync());

    public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N")[..12];

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _closed.Cancel();
        _abort();
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or MuxException)
        {
            // The peer is gone already.
        }
        await _dispose();
        _closed.Dispose();
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Writes through to the socket's stream; disposing it (the pipe writer completing) sends FIN.</summary>
    private sealed class HalfClosing(Stream inner, Socket socket) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (!disposing) return;
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closed already.
            }
        }
    }
}
