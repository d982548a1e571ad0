namespace Spokes.Tests.Support;

/// <summary>Sends the first write in two pieces with a pause between: a TLS ClientHello the server sees partly first.</summary>
internal sealed class SplitFirstWriteStream(Stream inner, int head, TimeSpan pause) : OpaqueStream(inner)
{
    private bool _split;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_split || buffer.Length <= head)
        {
            await base.WriteAsync(buffer, cancellationToken);
            return;
        }
        _split = true;
        await base.WriteAsync(buffer[..head], cancellationToken);
        await FlushAsync(cancellationToken);
        await Task.Delay(pause, cancellationToken);
        await base.WriteAsync(buffer[head..], cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
}
