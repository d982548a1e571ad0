using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>
/// The write loop: the only writer of the connection. Control frames go first, then ready streams
/// round-robin, one chunk each, so a bulk stream cannot starve the others. Flushes are batched.
/// </summary>
public sealed partial class MuxSession
{
    private const int FlushThreshold = 256 * 1024;

    private readonly ConcurrentQueue<ControlFrame> _control = new();
    private readonly ConcurrentQueue<MuxStream> _ready = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private int _controlCount;
    private int _signaled;

    internal void Schedule(MuxStream stream)
    {
        if (Interlocked.CompareExchange(ref stream.Queued, 1, 0) == 0)
        {
            _ready.Enqueue(stream);
            Signal();
        }
    }

    internal void EnqueueWindowUpdate(MuxStream stream) =>
        EnqueueControl(new ControlFrame(new FrameHeader(FrameType.WindowUpdate, FrameFlags.None, stream.Id, 0), stream));

    private void EnqueueControl(in ControlFrame frame, bool force = false)
    {
        if (Interlocked.Increment(ref _controlCount) > _options.MaxControlQueue && !force)
        {
            Interlocked.Decrement(ref _controlCount);
            Close(new MuxException("control queue overflow: the peer sends control frames but does not read"), GoAwayCode.InternalError);
            return;
        }

        _control.Enqueue(frame);
        Signal();
    }

    private void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task WriteLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                Volatile.Write(ref _signaled, 0);
                long written = 0;
                while (_control.TryDequeue(out ControlFrame frame))
                {
                    Interlocked.Decrement(ref _controlCount);
                    written += WriteControl(frame);
                }

                bool closing = _closing;
                while (!closing && written < FlushThreshold && _ready.TryDequeue(out MuxStream? stream))
                {
                    written += WriteStream(stream);
                }

                if (written > 0)
                {
                    FlushResult flushed = await _output.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                if (closing)
                {
                    break;
                }

                if (_ready.IsEmpty && _control.IsEmpty)
                {
                    await _wake.Reader.ReadAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Close(error ?? new MuxException("the connection stopped accepting writes"), null);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    private int WriteControl(in ControlFrame frame)
    {
        FrameHeader header = frame.Header;
        if (frame.WindowUpdateOf is { } stream)
        {
            uint delta = stream.TakeWindowUpdate();
            if (delta == 0)
            {
                return 0;
            }

            header = header with { Length = delta };
        }

        FrameWriter.Write(header, _output);
        return FrameHeader.Size;
    }

    private long WriteStream(MuxStream stream)
    {
        Volatile.Write(ref stream.Queued, 0);
        long written = 0;
        uint extraWindow = (uint)(_options.ReceiveWindow - FrameHeader.InitialWindow);
        if (stream.PendingSyn is { } syn)
        {
            stream.PendingSyn = null;
            FrameWriter.WriteData(stream.Id, FrameFlags.Syn, syn, _output);
            written += FrameHeader.Size + syn.Length;
            if (extraWindow > 0)
            {
                FrameWriter.Write(new FrameHeader(FrameType.WindowUpdate, FrameFlags.None, stream.Id, extraWindow), _output);
                written += FrameHeader.Size;
            }
        }

        if (stream.PendingAck)
        {
            stream.PendingAck = false;
            FrameWriter.Write(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Ack, stream.Id, extraWindow), _output);
            written += FrameHeader.Size;
        }

        if (stream.IsReset)
        {
            if (!stream.ResetByPeer && !stream.RstSent)
            {
                stream.RstSent = true;
                FrameWriter.Write(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Rst, stream.Id, 0), _output);
                written += FrameHeader.Size;
            }

            stream.CompleteSendReader(stream.Failure);
            return written;
        }

        if (stream.LocalFinSent || stream.SendReaderDone || !stream.SendReader.TryRead(out ReadResult result))
        {
            return written;
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        int chunk = (int)Math.Min(Math.Min(buffer.Length, stream.SendWindow), _options.MaxChunkSize);
        bool drained = chunk == buffer.Length;
        bool fin = drained && result.IsCompleted;
        if (chunk > 0 || fin)
        {
            FrameWriter.WriteData(stream.Id, fin ? FrameFlags.Fin : FrameFlags.None, buffer.Slice(0, chunk), _output);
            written += FrameHeader.Size + chunk;
            stream.SpendSendWindow(chunk);
        }

        stream.SendReader.AdvanceTo(buffer.GetPosition(chunk));
        if (fin)
        {
            if (stream.OnLocalFinSent())
            {
                Remove(stream);
            }
        }
        else if (!drained && stream.SendWindow > 0)
        {
            Schedule(stream);
        }

        return written;
    }
}
