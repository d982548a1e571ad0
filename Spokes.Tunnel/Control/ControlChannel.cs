using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Spokes.Tunnel.Mux;

namespace Spokes.Tunnel.Control;

/// <summary>
/// The control channel: length-prefixed JSON messages on one <see cref="MuxStream"/>. Sending is
/// safe from many threads. One loop must keep calling <see cref="ReceiveAsync"/>: it hands
/// replies to pending <see cref="RequestAsync"/> calls and returns every other message.
/// </summary>
public sealed partial class ControlChannel : IAsyncDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ControlReply>> _pending = new();
    private readonly TimeProvider _time;
    private long _nextRequestId;

    public ControlChannel(MuxStream stream, TimeProvider? timeProvider = null)
    {
        Stream = stream;
        _time = timeProvider ?? TimeProvider.System;
    }

    public MuxStream Stream { get; }

    public async ValueTask SendAsync(ControlMessage message, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ControlCodec.Write(message, Stream.Output);
            await Stream.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Next message that is not a reply to a pending request; null when the peer closed the channel.</summary>
    public async ValueTask<ControlMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ControlMessage? message = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                FailPending(new ControlProtocolException("the control channel closed"));
                return null;
            }

            if (message is ControlReply reply && _pending.TryRemove(reply.RequestId, out var waiter))
            {
                waiter.TrySetResult(reply);
                continue;
            }

            return message;
        }
    }

    /// <summary>Sends a request with a fresh RequestId and awaits its Ok; an Error reply throws <see cref="ControlRequestException"/>.</summary>
    public async Task<OkReply> RequestAsync(ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long id = Interlocked.Increment(ref _nextRequestId);
        var waiter = new TaskCompletionSource<ControlReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        try
        {
            await SendAsync(request with { RequestId = id }, cancellationToken).ConfigureAwait(false);
            ControlReply reply = await waiter.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return reply switch
            {
                OkReply ok => ok,
                ErrorReply error => throw new ControlRequestException(error.Message),
                _ => throw new ControlProtocolException($"unexpected reply {reply.GetType().Name}"),
            };
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public ValueTask ReplyOkAsync(ControlRequest request, int? port = null, IReadOnlyList<RuleResult>? results = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(new OkReply { RequestId = request.RequestId, Port = port, Results = results }, cancellationToken);

    public ValueTask ReplyErrorAsync(ControlRequest request, string message, CancellationToken cancellationToken = default) =>
        SendAsync(new ErrorReply { RequestId = request.RequestId, Message = message }, cancellationToken);

    /// <summary>Sends FIN on the control stream (the peer's ReceiveAsync returns null).</summary>
    public async ValueTask DisposeAsync()
    {
        FailPending(new ControlProtocolException("the control channel was closed"));
        await Stream.DisposeAsync().ConfigureAwait(false);
        _sendLock.Dispose();
    }

    private async ValueTask<ControlMessage?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        PipeReader input = Stream.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ControlMessage? message = null;
            SequencePosition consumed = buffer.Start;
            try
            {
                if (ControlCodec.TryParse(buffer, out message, out consumed))
                {
                    return message;
                }
            }
            finally
            {
                input.AdvanceTo(consumed, message is null ? buffer.End : consumed);
            }

            if (result.IsCompleted)
            {
                return buffer.IsEmpty ? null : throw new ControlProtocolException("the control channel closed in the middle of a message");
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    private void FailPending(Exception error)
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetException(error);
            }
        }
    }
}
