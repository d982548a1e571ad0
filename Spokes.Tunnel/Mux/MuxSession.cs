using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>
/// A multiplexer session over one connection (docs/protocol.md). The client (agent, who dialled)
/// opens odd stream ids, the server (node) even ones. A read loop and a write loop start at once;
/// the read loop never waits for a stream's consumer, so one stalled stream cannot block others.
/// </summary>
public sealed partial class MuxSession : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private long _roundTripTicks;
    private long _windowGrowth;
    private readonly MuxOptions _options;
    private int _peerStreamLimit = int.MaxValue;
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly Channel<MuxStream> _accepted = Channel.CreateUnbounded<MuxStream>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<uint, (TaskCompletionSource<TimeSpan> Reply, long Sent)> _pings = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _streamCount;
    private uint _nextStreamId;
    private readonly Lock _openLock = new();
    private uint _highestPeerStreamId;
    private uint _pingId;
    private int _localGoAway;
    private int _closeState;
    private volatile bool _closing;
    private volatile bool _cleanedUp;
    private ITimer? _closeTimer;

    /// <summary>
    /// At most this many open streams once the peer opens one more (each beyond is refused with RST), below
    /// <see cref="MuxOptions.MaxStreams"/>; settable at any time. A node sets 1 on an agent connection until the
    /// handshake is done, so nothing but the control stream can hold memory before authentication.
    /// </summary>
    public int PeerStreamLimit
    {
        get => Volatile.Read(ref _peerStreamLimit);
        set => Volatile.Write(ref _peerStreamLimit, Math.Max(1, value));
    }

    public MuxSession(IDuplexPipe transport, bool isClient, MuxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? MuxOptions.Default;
        _options.Validate();
        _input = transport.Input;
        _output = transport.Output;
        IsClient = isClient;
        _nextStreamId = isClient ? 1u : 2u;
        _ = RunAsync();
    }

    /// <summary>A session over a stream (e.g. an authenticated SslStream); completing the session disposes the stream.
    /// Reads are large (up to 64 KiB), and an idle session waits with a zero-byte read, holding no read buffer.</summary>
    public static MuxSession Create(Stream transport, bool isClient, MuxOptions? options = null)
    {
        var reader = PipeReader.Create(transport,
            new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, useZeroByteReads: true));
        var writer = PipeWriter.Create(transport, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024));
        return new MuxSession(new DuplexPipe(reader, writer), isClient, options);
    }

    /// <summary>True on the side that dialled (the agent): it opens odd stream ids.</summary>
    public bool IsClient { get; }

    /// <summary>Streams currently open in either direction.</summary>
    public int OpenStreams => Volatile.Read(ref _streamCount);

    /// <summary>Completes (never faults) when both loops have stopped and every stream was aborted.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the session ended: null for a clean close or end of connection.</summary>
    public Exception? CloseReason { get; private set; }

    /// <summary>The code of the peer's GoAway, if it sent one: it accepts no new streams.</summary>
    public GoAwayCode? RemoteGoAway { get; private set; }

    public bool IsClosed => _closing;

    /// <summary>
    /// Opens a stream; <paramref name="openHeader"/> (≤ 4 KiB) rides on the SYN frame. Data may be
    /// written at once: there is no round trip. If the peer refuses (limit, going away) the stream is reset.
    /// </summary>
    public Task<MuxStream> OpenStreamAsync(ReadOnlyMemory<byte> openHeader = default, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (openHeader.Length > FrameHeader.MaxOpenHeaderLength)
        {
            throw new ArgumentOutOfRangeException(nameof(openHeader), $"open header exceeds {FrameHeader.MaxOpenHeaderLength} bytes");
        }

        if (_closing)
        {
            throw new MuxException("the session is closed", CloseReason);
        }

        if (RemoteGoAway is not null || Volatile.Read(ref _localGoAway) != 0)
        {
            throw new MuxException("the session is going away; no new streams");
        }

        if (Interlocked.Increment(ref _streamCount) > _options.MaxStreams)
        {
            Interlocked.Decrement(ref _streamCount);
            throw new MuxException($"the session already has {_options.MaxStreams} open streams");
        }

        byte[] header = openHeader.ToArray();
        MuxStream stream;
        // The peer requires stream ids in increasing order, so an id is taken and its SYN queued in one step:
        // two concurrent opens must not put their SYNs on the wire in the opposite order of their ids.
        lock (_openLock)
        {
            uint id = _nextStreamId;
            Volatile.Write(ref _nextStreamId, id + 2);
            stream = new MuxStream(this, id, header, _options) { PendingSyn = header };
            _streams[id] = stream;
            Schedule(stream);
        }

        if (_cleanedUp)
        {
            stream.AbortBySession(new MuxException("the session is closed", CloseReason));
            throw new MuxException("the session is closed", CloseReason);
        }

        return Task.FromResult(stream);
    }

    /// <summary>Next stream opened by the peer (its <see cref="MuxStream.Header"/> carries the open header); null once the session is closed.</summary>
    public async ValueTask<MuxStream?> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out var stream))
            {
                return stream;
            }
        }

        return null;
    }

    /// <summary>The last round trip a Ping measured, or <see cref="MuxOptions.AssumedRoundTrip"/> before one did.</summary>
    internal TimeSpan RoundTrip => Volatile.Read(ref _roundTripTicks) is > 0 and var ticks ? TimeSpan.FromTicks(ticks) : _options.AssumedRoundTrip;

    /// <summary>Window growth granted to open streams, in bytes (at most <see cref="MuxOptions.MaxWindowGrowth"/>).</summary>
    internal long WindowGrowth => Interlocked.Read(ref _windowGrowth);

    /// <summary>Write loop: takes <paramref name="bytes"/> of the session's window-growth budget, if it has them.</summary>
    internal bool TryReserveWindowGrowth(long bytes)
    {
        if (Interlocked.Add(ref _windowGrowth, bytes) <= _options.MaxWindowGrowth)
        {
            return true;
        }

        Interlocked.Add(ref _windowGrowth, -bytes);
        return false;
    }

    /// <summary>Round-trip time of a Ping frame.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        uint id = Interlocked.Increment(ref _pingId);
        var reply = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[id] = (reply, _options.TimeProvider.GetTimestamp());
        if (_closing)
        {
            _pings.TryRemove(id, out _);
            throw new MuxException("the session is closed", CloseReason);
        }

        EnqueueControl(new ControlFrame(new FrameHeader(FrameType.Ping, FrameFlags.Syn, 0, id)));
        try
        {
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pings.TryRemove(id, out _);
        }
    }

    /// <summary>Tells the peer no new streams will be accepted; open streams carry on.</summary>
    public ValueTask GoAwayAsync(GoAwayCode code = GoAwayCode.Normal)
    {
        if (Interlocked.Exchange(ref _localGoAway, 1) == 0 && !_closing)
        {
            EnqueueControl(new ControlFrame(new FrameHeader(FrameType.GoAway, FrameFlags.None, 0, (uint)code)));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection at once, without GoAway; every stream is aborted.</summary>
    public void Abort(Exception? reason = null) => Close(reason, null);

    /// <summary>Sends GoAway(Normal), closes the connection and waits for the loops to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null, Volatile.Read(ref _localGoAway) == 0 ? GoAwayCode.Normal : null);
        await Completion.ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
