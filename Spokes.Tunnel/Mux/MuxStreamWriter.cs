using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Spokes.Tunnel.Mux;

/// <summary>A stream's Output: the send pipe's writer; each flush wakes the session's write loop.</summary>
internal sealed class MuxStreamWriter : PipeWriter
{
    private readonly MuxStream _stream;
    private readonly PipeWriter _inner;
    private int _completed;

    public MuxStreamWriter(MuxStream stream, PipeWriter inner)
    {
        _stream = stream;
        _inner = inner;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfFailed();
        ValueTask<FlushResult> flush = _inner.FlushAsync(cancellationToken);
        _stream.Session.Schedule(_stream);
        return flush.IsCompletedSuccessfully ? new ValueTask<FlushResult>(Check(flush.Result)) : FlushSlowAsync(flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> FlushSlowAsync(ValueTask<FlushResult> flush) => Check(await flush.ConfigureAwait(false));

    private FlushResult Check(FlushResult result)
    {
        if (result.IsCanceled || result.IsCompleted)
        {
            _stream.ThrowIfFailed();
        }

        return result;
    }

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    /// <summary>Completing sends FIN once buffered bytes are out; completing with an error sends RST.</summary>
    public override void Complete(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        if (exception is not null)
        {
            _stream.Reset();
        }

        _inner.Complete();
        _stream.Session.Schedule(_stream);
    }
}
