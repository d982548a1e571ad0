using System.IO.Pipelines;
using Spokes.Tunnel.Frames;

namespace Spokes.Tunnel.Mux;

/// <summary>
/// One bidirectional stream of a <see cref="MuxSession"/>. Read <see cref="Input"/>, write
/// <see cref="Output"/> (or use <see cref="AsStream"/>). Completing Output sends FIN (half-close);
/// the peer's FIN completes Input. <see cref="Reset"/> aborts both directions.
/// </summary>
public sealed partial class MuxStream : IDuplexPipe, IAsyncDisposable
{
    private readonly MuxSession _session;
    private readonly Pipe _receive;
    private readonly Pipe _send;
    private readonly MuxStreamReader _input;
    private readonly MuxStreamWriter _output;
    private readonly TimeProvider _time;
    private readonly int _maxWindow;
    private int _updateThreshold;
    // The receive window this stream advertises in full, grown while it carries bulk (MuxStream.Flow.cs).
    private int _window;
    private long _grown;
    private long _epoch;

    // Credit the peer still has on this stream: decremented by the read loop, raised when a WindowUpdate is written.
    private long _receiveWindow;
    // Bytes the application consumed that were not yet advertised back to the peer.
    private long _unadvertised;
    private int _updateQueued;
    // Credit this side has for sending: raised by the read loop, spent by the write loop.
    private long _sendWindow = FrameHeader.InitialWindow;

    private int _finCount;
    private int _reset;
    private bool _resetByPeer;
    private int _aborted;
    private volatile bool _remoteFin;
    private volatile Exception? _failure;
    private int _acknowledged;
    private TaskCompletionSource? _acceptWaiter;

    internal MuxStream(MuxSession session, uint id, ReadOnlyMemory<byte> header, MuxOptions options)
    {
        _session = session;
        Id = id;
        Header = header;
        _receiveWindow = options.ReceiveWindow;
        _window = options.ReceiveWindow;
        _maxWindow = options.MaxReceiveWindow;
        _updateThreshold = Math.Max(options.ReceiveWindow / 4, 1);
        _time = options.TimeProvider;
        _epoch = _time.GetTimestamp();
        _receive = new Pipe(new PipeOptions(pauseWriterThreshold: 0, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));
        _send = new Pipe(new PipeOptions(
            pauseWriterThreshold: options.SendBufferSize,
            resumeWriterThreshold: options.SendBufferSize / 2,
            minimumSegmentSize: 16 * 1024,
            useSynchronizationContext: false));
        _input = new MuxStreamReader(this, _receive.Reader);
        _output = new MuxStreamWriter(this, _send.Writer);
    }

    /// <summary>Stream id: odd when opened by the client (agent), even when opened by the server (node).</summary>
    public uint Id { get; }

    /// <summary>The open header the opener attached to SYN (empty when none).</summary>
    public ReadOnlyMemory<byte> Header { get; }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    public MuxSession Session => _session;

    /// <summary>True once the peer has sent FIN (no more bytes will arrive).</summary>
    public bool RemoteClosed => _remoteFin;

    public bool IsReset => Volatile.Read(ref _reset) != 0;

    /// <summary>The receive window this stream advertises in full (grown while it carries bulk).</summary>
    internal int WindowSize => Volatile.Read(ref _window);

    /// <summary>
    /// Completes when the peer has answered this side's SYN: with ACK (then <see cref="IsReset"/> is false), with
    /// RST, or by ending the session. It proves the peer's read loop is alive, which a relay uses to give up
    /// on a hung peer quickly. For a stream the peer opened it is complete at once.
    /// </summary>
    public Task WaitForAnswerAsync()
    {
        if (Volatile.Read(ref _acknowledged) != 0 || (Id & 1) != (_session.IsClient ? 1u : 0u))
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiter = Interlocked.CompareExchange(ref _acceptWaiter, waiter, null) ?? waiter;
        if (Volatile.Read(ref _acknowledged) != 0 || IsReset || Volatile.Read(ref _aborted) != 0)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    /// <summary>A <see cref="Stream"/> view: disposing it completes both directions (FIN).</summary>
    public Stream AsStream() => new DuplexPipeStream(this);

    /// <summary>Aborts both directions and tells the peer with RST.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _reset, 1) != 0)
        {
            return;
        }

        _failure = new MuxStreamResetException(Id, byPeer: false);
        _session.OnLocalReset(this);
        _receive.Reader.CancelPendingRead();
        _send.Writer.CancelPendingFlush();
    }

    /// <summary>Sends FIN after buffered output and stops reading.</summary>
    public ValueTask DisposeAsync()
    {
        _output.Complete();
        _input.Complete();
        return ValueTask.CompletedTask;
    }

    internal Exception? Failure => _failure;

    internal bool ResetByPeer => _resetByPeer;

    internal int Queued;

    // Write-loop state.
    internal byte[]? PendingSyn;
    internal bool PendingAck;
    internal bool LocalFinSent;
    internal bool RstSent;
    internal bool SendReaderDone;

    internal PipeReader SendReader => _send.Reader;

    internal long SendWindow => Volatile.Read(ref _sendWindow);

    internal void SpendSendWindow(int bytes) => Interlocked.Add(ref _sendWindow, -bytes);

    internal void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw failure;
        }
    }

    public override string ToString() => $"MuxStream({Id})";
}
