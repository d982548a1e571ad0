using System.Buffers;
using System.IO.Pipelines;
using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>The read loop: parses frames and dispatches them without ever awaiting a stream's consumer.</summary>
public sealed partial class MuxSession
{
    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        GoAwayCode? goAway = null;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryParse(buffer, out FrameHeader header, out ReadOnlySequence<byte> payload, out SequencePosition consumed))
                    {
                        HandleFrame(header, payload);
                        buffer = buffer.Slice(consumed);
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (MuxProtocolException ex)
        {
            error = ex;
            goAway = ex.Code;
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Close(error, goAway);
        await _input.CompleteAsync().ConfigureAwait(false);
    }

    private void HandleFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        switch (header.Type)
        {
            case FrameType.Data:
                HandleData(header, payload);
                break;
            case FrameType.WindowUpdate:
                HandleWindowUpdate(header);
                break;
            case FrameType.Ping:
                HandlePing(header);
                break;
            case FrameType.GoAway:
                if (header.StreamId != 0)
                {
                    throw new MuxProtocolException(GoAwayCode.ProtocolError, "GoAway on a stream id other than 0");
                }

                RemoteGoAway = (GoAwayCode)header.Length;
                break;
        }
    }

    private void HandleData(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, "data frame on stream 0");
        }

        MuxStream? stream = header.Has(FrameFlags.Syn) ? OpenRemote(header, payload) : Lookup(header.StreamId);
        if (stream is null)
        {
            return;
        }

        if (!header.Has(FrameFlags.Syn) && header.Length > 0)
        {
            if (stream.RemoteClosed && !stream.IsReset)
            {
                throw new MuxProtocolException(GoAwayCode.ProtocolError, $"data after FIN on stream {header.StreamId}");
            }

            stream.OnData(payload);
        }

        HandleStreamFlags(stream, header);
    }

    private void HandleWindowUpdate(in FrameHeader header)
    {
        if (header.StreamId == 0 || header.Has(FrameFlags.Syn))
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, "WindowUpdate on stream 0 or with SYN (streams open with a Data frame)");
        }

        MuxStream? stream = Lookup(header.StreamId);
        if (stream is null)
        {
            return;
        }

        if (header.Has(FrameFlags.Ack))
        {
            stream.OnAccepted();
        }

        if (header.Length > 0)
        {
            stream.OnWindowUpdate(header.Length);
            Schedule(stream);
        }

        HandleStreamFlags(stream, header);
    }

    private void HandleStreamFlags(MuxStream stream, in FrameHeader header)
    {
        if (header.Has(FrameFlags.Rst))
        {
            if (stream.OnRemoteReset())
            {
                Remove(stream);
                Schedule(stream);
            }
        }
        else if (header.Has(FrameFlags.Fin) && stream.OnRemoteFin())
        {
            Remove(stream);
        }
    }

    private void HandlePing(in FrameHeader header)
    {
        if (header.StreamId != 0)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, "Ping on a stream id other than 0");
        }

        if (header.Has(FrameFlags.Syn))
        {
            EnqueueControl(new ControlFrame(new FrameHeader(FrameType.Ping, FrameFlags.Ack, 0, header.Length)));
        }
        else if (header.Has(FrameFlags.Ack) && _pings.TryRemove(header.Length, out var ping))
        {
            TimeSpan rtt = _options.TimeProvider.GetElapsedTime(ping.Sent);
            Volatile.Write(ref _roundTripTicks, rtt.Ticks);
            ping.Reply.TrySetResult(rtt);
        }
    }

    private MuxStream? OpenRemote(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        uint id = header.StreamId;
        if (IsOwnParity(id))
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, $"peer opened stream {id} with this side's id parity");
        }

        if (id <= _highestPeerStreamId)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, $"peer reopened stream id {id}");
        }

        if (payload.Length > FrameHeader.MaxOpenHeaderLength)
        {
            throw new MuxProtocolException(GoAwayCode.ProtocolError, $"open header of {payload.Length} bytes exceeds {FrameHeader.MaxOpenHeaderLength}");
        }

        _highestPeerStreamId = id;
        bool refuse = _closing || Volatile.Read(ref _localGoAway) != 0;
        if (!refuse && Interlocked.Increment(ref _streamCount) > Math.Min(_options.MaxStreams, Volatile.Read(ref _peerStreamLimit)))
        {
            Interlocked.Decrement(ref _streamCount);
            refuse = true;
        }

        if (refuse)
        {
            EnqueueControl(new ControlFrame(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Rst, id, 0)));
            return null;
        }

        var stream = new MuxStream(this, id, payload.ToArray(), _options) { PendingAck = true };
        _streams[id] = stream;
        _accepted.Writer.TryWrite(stream);
        Schedule(stream);
        return stream;
    }

    /// <summary>The open stream with this id; null for a stream that existed and is closed (late frames are dropped).</summary>
    private MuxStream? Lookup(uint id)
    {
        if (_streams.TryGetValue(id, out var stream))
        {
            return stream;
        }

        bool known = IsOwnParity(id) ? id < Volatile.Read(ref _nextStreamId) : id <= _highestPeerStreamId;
        return known ? null : throw new MuxProtocolException(GoAwayCode.ProtocolError, $"frame for unknown stream {id}");
    }

    private bool IsOwnParity(uint id) => (id & 1) == (IsClient ? 1u : 0u);
}
