using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Spokes.Tests.Cluster.Testbed;

/// <summary>
/// Visitors that keep coming through the balancer while the test breaks things: HTTP requests one after another,
/// on a new connection each (what a new visitor sees) or on keep-alive connections; each outcome is recorded with
/// its time, so the gap a failure caused and every failed request can be read afterwards.
/// </summary>
internal sealed class RequestLoop : IAsyncDisposable
{
    private readonly List<(long At, bool Ok, string? Error)> _results = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    private readonly TimeSpan _pause;
    private readonly TimeSpan _timeout;

    private RequestLoop(string host, int port, string domain, bool keepAlive, int workers, TimeSpan pause, TimeSpan timeout)
    {
        _pause = pause;
        _timeout = timeout;
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(host, port, domain, keepAlive)))];
    }

    /// <param name="pause">Between a worker's requests (a browser on keep-alive pauses between them).</param>
    /// <param name="timeout">When a request counts as failed (default 1 s: what the gap after a hung node is read by).</param>
    public static RequestLoop Start(string host, int port, string domain, bool keepAlive = false, int workers = 1, TimeSpan? pause = null,
        TimeSpan? timeout = null) =>
        new(host, port, domain, keepAlive, workers, pause ?? TimeSpan.FromMilliseconds(20), timeout ?? TimeSpan.FromSeconds(1));

    public static TimeSpan Now => Clock.Elapsed;

    public int Successes => Snapshot().Count(r => r.Ok);

    public IReadOnlyList<(TimeSpan At, string Error)> Failures =>
        [.. Snapshot().Where(r => !r.Ok).Select(r => (TimeSpan.FromTicks(r.At), r.Error ?? ""))];

    /// <summary>The longest time without a successful request between <paramref name="from"/> and the last result.</summary>
    public TimeSpan LongestGapSince(TimeSpan from)
    {
        var oks = Snapshot().Where(r => r.Ok).Select(r => r.At).ToList();
        long previous = oks.LastOrDefault(t => t <= from.Ticks, from.Ticks);
        long longest = 0;
        foreach (var at in oks.Where(t => t > from.Ticks))
        {
            longest = Math.Max(longest, at - previous);
            previous = at;
        }
        return TimeSpan.FromTicks(longest);
    }

    /// <summary>True once every request for <paramref name="span"/> (and at least a few) succeeded.</summary>
    public bool SucceedingFor(TimeSpan span)
    {
        var since = (Now - span).Ticks;
        var recent = Snapshot().Where(r => r.At >= since).ToList();
        return recent.Count >= 3 && recent.All(r => r.Ok);
    }

    private List<(long At, bool Ok, string? Error)> Snapshot()
    {
        lock (_results) return [.. _results];
    }

    private async Task RunAsync(string host, int port, string domain, bool keepAlive)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = keepAlive ? TimeSpan.FromMinutes(10) : TimeSpan.Zero,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Parse(host), port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        }) { Timeout = _timeout };
        while (!_stop.IsCancellationRequested)
        {
            string? error = null;
            try
            {
                var body = await http.GetStringAsync($"http://{domain}/hello", _stop.Token);
                if (!body.StartsWith("hello from backend", StringComparison.Ordinal)) error = "unexpected body: " + body;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                error = ex.GetBaseException().Message;
            }
            lock (_results) _results.Add((Now.Ticks, error is null, error));
            try
            {
                await Task.Delay(_pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }
}

/// <summary>
/// A TCP visitor of a leased port through the balancer, talking to an echo service: it sends random chunks and
/// checks that exactly the same bytes come back, until stopped, for <see cref="Lifetime"/>, or until the connection
/// breaks. <see cref="Corrupted"/> is never excused; a break is reported with its time.
/// </summary>
internal sealed class EchoStream
{
    private readonly Task _run;
    private readonly CancellationTokenSource _stop = new();

    private EchoStream(string host, int port, TimeSpan? lifetime)
    {
        Lifetime = lifetime;
        Started = RequestLoop.Now;
        _run = Task.Run(() => RunAsync(host, port));
    }

    public static EchoStream Open(string host, int port, TimeSpan? lifetime = null) => new(host, port, lifetime);

    public TimeSpan Started { get; }
    public TimeSpan? Lifetime { get; }
    public long BytesChecked { get; private set; }
    public bool Corrupted { get; private set; }
    public string? BrokenBy { get; private set; }
    public TimeSpan? BrokenAt { get; private set; }
    public bool Completed { get; private set; }
    public Task Done => _run;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    private async Task RunAsync(string host, int port)
    {
        var chunk = new byte[16 * 1024];
        var echo = new byte[chunk.Length];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(host), port);
            var until = Lifetime is { } l ? RequestLoop.Now + l : TimeSpan.MaxValue;
            while (!_stop.IsCancellationRequested && RequestLoop.Now < until)
            {
                RandomNumberGenerator.Fill(chunk);
                await socket.SendAsync(chunk, SocketFlags.None);
                int read = 0;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                while (read < echo.Length)
                {
                    int n = await socket.ReceiveAsync(echo.AsMemory(read), SocketFlags.None, timeout.Token);
                    if (n == 0) throw new IOException("the connection closed");
                    read += n;
                }
                if (!chunk.AsSpan().SequenceEqual(echo))
                {
                    Corrupted = true;
                    return;
                }
                BytesChecked += chunk.Length;
                await Task.Delay(10);
            }
            socket.Shutdown(SocketShutdown.Send);
            Completed = true;
        }
        catch (Exception ex)
        {
            BrokenBy = ex.GetBaseException().Message;
            BrokenAt = RequestLoop.Now;
        }
    }

    public override string ToString() =>
        $"stream from {Started.TotalSeconds:0.0} s: {BytesChecked} bytes checked{(Corrupted ? ", CORRUPTED" : "")}" +
        (BrokenBy is null ? "" : $", broken at {BrokenAt?.TotalSeconds:0.0} s: {BrokenBy}");
}
