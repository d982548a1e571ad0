using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Security;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace Spokes.Actors.Remoting;

/// <summary>
/// One connection of the cluster port. Akka writes whole messages (<see cref="Write"/>, never blocking, in
/// order); a write loop coalesces queued frames into TLS writes of up to 64 KiB. A read loop, started once
/// Akka registers its listener, cuts the stream into frames. The first failure, the peer's close or
/// <see cref="Disassociate"/> ends it; Akka hears <see cref="Disassociated"/> exactly once.
/// </summary>
internal sealed class ClusterTlsAssociation : AssociationHandle
{
    private const int HeaderLength = 4;
    private const int WriteChunk = 64 * 1024;

    /// <summary>Bytes queued and not yet written beyond which <see cref="Write"/> answers false: Akka then
    /// keeps the message and retries after a back-off, as for a full socket buffer.</summary>
    private const long MaxQueuedBytes = 64L * 1024 * 1024;

    private readonly ClusterTlsTransport _transport;
    private readonly SslStream _tls;
    private readonly long _maxFrame;
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private long _queued;
    private int _disassociating;
    private int _closed;
    private int _notified;
    private IHandleEventListener? _listener;

    public ClusterTlsAssociation(ClusterTlsTransport transport, SslStream tls, Address local, Address remote)
        : base(local, remote)
    {
        _transport = transport;
        _tls = tls;
        _maxFrame = transport.MaximumPayloadBytes;
        _ = WriteLoopAsync();
        ReadHandlerSource.Task.ContinueWith(t => _ = ReadLoopAsync(t.Result),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    public override bool Write(ByteString payload)
    {
        if (Volatile.Read(ref _disassociating) == 1 || Volatile.Read(ref _closed) == 1) return false;
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.Span.CopyTo(frame.AsSpan(HeaderLength));
        if (Interlocked.Add(ref _queued, frame.Length) > MaxQueuedBytes)
        {
            Interlocked.Add(ref _queued, -frame.Length);
            return false;
        }
        if (_queue.Writer.TryWrite(frame)) return true;
        Interlocked.Add(ref _queued, -frame.Length);
        return false;
    }

    /// <summary>Graceful: what is queued is still written, then the connection half-closes; it is closed
    /// outright after the transport's flush wait whatever happens.</summary>
#pragma warning disable CS0672 // Akka's obsolete overload is the one transports implement.
    public override void Disassociate()
#pragma warning restore CS0672
    {
        if (Interlocked.Exchange(ref _disassociating, 1) == 1) return;
        _queue.Writer.TryComplete();
        _ = Task.Delay(_transport.FlushWait).ContinueWith(_ => Close(), TaskScheduler.Default);
    }

    internal void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1) return;
        _queue.Writer.TryComplete();
        _tls.Dispose();
        _transport.Forget(this);
        Notify();
    }

    private void Notify()
    {
        // Before Akka registered its listener there is nobody to tell; it learns from the failed writes.
        var listener = Volatile.Read(ref _listener);
        if (listener is not null && Interlocked.Exchange(ref _notified, 1) == 0)
            listener.Notify(new Disassociated(DisassociateInfo.Unknown));
    }

    private async Task WriteLoopAsync()
    {
        var chunk = ArrayPool<byte>.Shared.Rent(WriteChunk);
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                var used = 0;
                while (_queue.Reader.TryPeek(out var frame))
                {
                    if (used > 0 && used + frame.Length > chunk.Length) break;
                    _queue.Reader.TryRead(out _);
                    Interlocked.Add(ref _queued, -frame.Length);
                    if (frame.Length > chunk.Length)
                    {
                        await _tls.WriteAsync(frame);
                        continue;
                    }
                    frame.CopyTo(chunk, used);
                    used += frame.Length;
                }
                if (used > 0) await _tls.WriteAsync(chunk.AsMemory(0, used));
            }
            if (Volatile.Read(ref _closed) == 0)
            {
                await _tls.ShutdownAsync();
                await _tls.FlushAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task ReadLoopAsync(IHandleEventListener listener)
    {
        Volatile.Write(ref _listener, listener);
        if (Volatile.Read(ref _closed) == 1)
        {
            Notify();
            return;
        }
        var reader = PipeReader.Create(_tls, new StreamPipeReaderOptions(bufferSize: WriteChunk, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out var payload)) listener.Notify(new InboundPayload(payload));
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidDataException or InvalidOperationException)
        {
            // Reset, closed by us, or a frame the protocol does not allow: the association ends either way.
        }
        finally
        {
            await reader.CompleteAsync();
            Close();
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ByteString payload)
    {
        payload = ByteString.Empty;
        if (buffer.Length < HeaderLength) return false;
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0 || length > _maxFrame)
            throw new InvalidDataException($"a cluster frame of {length} bytes exceeds the maximum of {_maxFrame}");
        if (buffer.Length < HeaderLength + length) return false;
        payload = UnsafeByteOperations.UnsafeWrap(buffer.Slice(HeaderLength, length).ToArray());
        buffer = buffer.Slice(HeaderLength + length);
        return true;
    }
}
