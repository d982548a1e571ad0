using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Spokes.Tunnel.Mux;

/// <summary>A stream's Input: the receive pipe's reader, counting consumed bytes to reopen the peer's window.</summary>
internal sealed class MuxStreamReader : PipeReader
{
    private readonly MuxStream _stream;
    private readonly PipeReader _inner;
    private ReadOnlySequence<byte> _last;

    public MuxStreamReader(MuxStream stream, PipeReader inner)
    {
        _stream = stream;
        _inner = inner;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<ReadResult> read = _inner.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Track(read.Result)) : ReadSlowAsync(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadSlowAsync(ValueTask<ReadResult> read) => Track(await read.ConfigureAwait(false));

    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result))
        {
            return false;
        }

        result = Track(result);
        return true;
    }

    private ReadResult Track(ReadResult result)
    {
        if (result.IsCanceled && _stream.IsReset)
        {
            _stream.ThrowIfFailed();
        }

        _last = result.Buffer;
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long bytes = _last.Slice(_last.Start, consumed).Length;
        _last = default;
        _inner.AdvanceTo(consumed, examined);
        _stream.OnConsumed(bytes);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);
}
