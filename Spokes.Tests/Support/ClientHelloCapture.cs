using System.Net.Security;

namespace Spokes.Tests.Support;

/// <summary>Produces real ClientHello bytes: an SslStream client writes into a stream that never answers.</summary>
internal static class ClientHelloCapture
{
    public static async Task<byte[]> CaptureAsync(string targetHost, params string[] alpn)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture);
        using var stop = new CancellationTokenSource();
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = alpn.Length == 0 ? null : alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
        };
        var handshake = ssl.AuthenticateAsClientAsync(options, stop.Token);
        var hello = await capture.FirstWrite.WaitAsync(TimeSpan.FromSeconds(10));
        stop.Cancel();
        try { await handshake; } catch (Exception) { /* expected: nobody answers */ }
        return hello;
    }

    /// <summary>Splits the handshake payload of a single-record hello into records of <paramref name="fragment"/> bytes.</summary>
    public static byte[] Refragment(byte[] hello, int fragment)
    {
        var payload = hello.AsSpan(5, (hello[3] << 8) | hello[4]);
        var output = new List<byte>();
        for (var offset = 0; offset < payload.Length; offset += fragment)
        {
            var length = Math.Min(fragment, payload.Length - offset);
            output.AddRange([22, 3, 1, (byte)(length >> 8), (byte)length]);
            output.AddRange(payload.Slice(offset, length).ToArray());
        }
        return output.ToArray();
    }

    private sealed class CaptureStream : Stream
    {
        private readonly TaskCompletionSource<byte[]> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<byte[]> FirstWrite => _first.Task;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _first.TrySetResult(buffer.AsSpan(offset, count).ToArray());

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _first.TrySetResult(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
