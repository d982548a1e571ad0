namespace Spokes.Tests.Support;

/// <summary>Sends the first write in two pieces with a pause between: a TLS ClientHello the server sees partly first.</summary>
internal sealed class SplitFirstWriteStream(Stream inner, int head, TimeSpan pause) : Stream
{
    private bool _split;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_split || buffer.Length <= head)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }
        _split = true;
        await inner.WriteAsync(buffer[..head], cancellationToken);
        await inner.FlushAsync(cancellationToken);
        await Task.Delay(pause, cancellationToken);
        await inner.WriteAsync(buffer[head..], cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
