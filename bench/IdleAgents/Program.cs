// Idle-tunnel load generator for bench/run.sh (not part of Spokes.sln).
//
//   idle-agents mint --port P --ca CRT --registration R --count N --out keys.txt
//       trades the registration token for N auth tokens (N one-shot Register connections), one key per line.
//   idle-agents hold --port P --ca CRT --keys keys.txt
//       opens one control connection per key (TLS + ALPN spokes/1 + MuxSession + Hello), prints
//       "connected N" and keeps them idle until SIGTERM.
//   idle-agents echo --listen PORT
//       a TCP echo server on 127.0.0.1 (the backend of the time-to-first-byte test).
//   idle-agents ttfb --target PORT --count N
//       N sequential fresh TCP connections: connect, send 1 byte, time until it is echoed back;
//       prints "ttfb median_us=M p99_us=P".
//   idle-agents visit --target HOST:PORT --domain NAME --workers N --out FILE
//       new visitors until SIGTERM: each worker sends GET / with Host NAME on a new connection (1 s timeout),
//       20 ms apart; every outcome goes to FILE as "<unix ms> 1" or "<unix ms> 0 <error>" (bench/cluster.sh
//       reads the gaps a node loss caused from it).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

var opts = Args.Parse(args);
string mode = args.Length > 0 ? args[0] : "";
string host = opts.Get("host", "127.0.0.1");
string sni = opts.Get("sni", "localhost");
int parallel = int.Parse(opts.Get("parallel", "8"));
if (mode == "echo") return await Echo.ServeAsync(int.Parse(opts.Get("listen")));
if (mode == "visit") return await Visitors.RunAsync(opts.Get("target"), opts.Get("domain"), int.Parse(opts.Get("workers", "4")), opts.Get("out"));
if (mode == "ttfb") return await Echo.TimeToFirstByteAsync(int.Parse(opts.Get("target")), int.Parse(opts.Get("count", "200")));
int port = int.Parse(opts.Get("port"));
var roots = new X509Certificate2Collection();
roots.ImportFromPemFile(opts.Get("ca"));

switch (mode)
{
    case "mint":
    {
        int count = int.Parse(opts.Get("count", "1000"));
        string registration = opts.Get("registration").Trim();
        var keys = new string[count];
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await using var mux = await DialAsync(ct);
                    var control = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: ct));
                    var reply = await control.RegisterAsync(new Register
                    {
                        ProtocolVersion = ControlProtocol.Version, RegistrationToken = registration, TunnelHostname = $"idle{i}.bench",
                    }, TimeSpan.FromSeconds(30), ct);
                    keys[i] = reply.Key;
                    return;
                }
                catch (Exception ex) when (attempt < 5 && ex is not ControlRefusedException)
                {
                    await Task.Delay(200 * attempt, ct);
                }
            }
        });
        await File.WriteAllLinesAsync(opts.Get("out"), keys);
        Console.WriteLine($"minted {count} in {sw.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }
    case "hold":
    {
        var keys = (await File.ReadAllLinesAsync(opts.Get("keys"))).Where(k => k.Length > 0).ToArray();
        var sessions = new MuxSession[keys.Length];
        var controls = new ControlChannel[keys.Length];
        var sw = Stopwatch.StartNew();
        int failed = 0;
        await Parallel.ForAsync(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    var mux = await DialAsync(ct);
                    var control = new ControlChannel(await mux.OpenStreamAsync(cancellationToken: ct));
                    await control.HelloAsync(new Hello
                    {
                        ProtocolVersion = ControlProtocol.Version, AgentVersion = "bench", Key = keys[i], Role = ConnectionRole.Control,
                    }, TimeSpan.FromSeconds(30), ct);
                    sessions[i] = mux;
                    controls[i] = control;
                    return;
                }
                catch (Exception ex) when (ex is not ControlRefusedException)
                {
                    if (attempt >= 5)
                    {
                        Interlocked.Increment(ref failed);
                        Console.Error.WriteLine($"agent {i}: {ex.Message}");
                        return;
                    }
                    await Task.Delay(200 * attempt, ct);
                }
            }
        });
        // Answer the node's control-level pings like an agent would; mux pings are answered by MuxSession.
        foreach (var c in controls.Where(c => c is not null)) _ = ServeControlAsync(c);
        Console.WriteLine($"connected {keys.Length - failed} in {sw.Elapsed.TotalSeconds:0.0} s (failed {failed})");
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
        int alive = sessions.Count(s => s is not null && !s.IsClosed);
        Console.WriteLine($"still open at exit: {alive}");
        foreach (var s in sessions.Where(s => s is not null)) s.Abort();
        return failed == 0 ? 0 : 1;
    }
    default:
        Console.Error.WriteLine("usage: idle-agents mint|hold --port P --ca CRT [--host H] [--sni NAME] [--parallel N] ...");
        return 2;
}

async Task<MuxSession> DialAsync(CancellationToken ct)
{
    var tcp = new TcpClient { NoDelay = true };
    await tcp.ConnectAsync(host, port, ct);
    var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
    var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
    policy.CustomTrustStore.AddRange(roots);
    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
    {
        TargetHost = sni,
        ApplicationProtocols = [new SslApplicationProtocol(ControlProtocol.Alpn)],
        CertificateChainPolicy = policy,
    }, ct);
    return MuxSession.Create(tls, isClient: true);
}

static async Task ServeControlAsync(ControlChannel control)
{
    try
    {
        while (await control.ReceiveAsync() is { } message)
        {
            if (message is KeepAlivePing ping) await control.SendAsync(new KeepAlivePong { Nonce = ping.Nonce });
        }
    }
    catch (Exception)
    {
        // The connection ended; the summary at exit counts it.
    }
}

internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new();

    public static Args Parse(string[] args)
    {
        var parsed = new Args();
        for (int i = 1; i + 1 < args.Length; i += 2)
            parsed._values[args[i].TrimStart('-')] = args[i + 1];
        return parsed;
    }

    public string Get(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
}

internal static class Echo
{
    public static async Task<int> ServeAsync(int port)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        listener.Listen(512);
        Console.WriteLine($"echo listening on {port}");
        while (true)
        {
            var client = await listener.AcceptAsync();
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    client.NoDelay = true;
                    var buffer = new byte[4096];
                    try
                    {
                        int n;
                        while ((n = await client.ReceiveAsync(buffer)) > 0) await client.SendAsync(buffer.AsMemory(0, n));
                        client.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }
                }
            });
        }
    }

    public static async Task<int> TimeToFirstByteAsync(int port, int count)
    {
        var samples = new List<double>(count);
        var one = new byte[] { 42 };
        var reply = new byte[1];
        for (int i = 0; i < count + 5; i++)
        {
            var sw = Stopwatch.StartNew();
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
            await socket.SendAsync(one);
            int n = await socket.ReceiveAsync(reply);
            double us = sw.Elapsed.TotalMicroseconds;
            if (n != 1 || reply[0] != 42)
            {
                Console.Error.WriteLine($"connection {i}: no echo");
                return 1;
            }
            if (i >= 5) samples.Add(us); // the first five warm up both ends
        }
        samples.Sort();
        double P(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        Console.WriteLine($"ttfb median_us={P(0.5):0} p99_us={P(0.99):0}");
        return 0;
    }
}

internal static class Visitors
{
    public static async Task<int> RunAsync(string target, string domain, int workers, string path)
    {
        var endpoint = System.Net.IPEndPoint.Parse(target);
        var request = System.Text.Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n");
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        await using var output = new StreamWriter(path) { AutoFlush = false };
        var gate = new object();
        void Record(bool ok, string? error)
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            lock (gate) output.WriteLine(ok ? $"{now} 1" : $"{now} 0 {error}");
        }
        var flusher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
                lock (gate) output.Flush();
            }
        });
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            while (!stop.IsCancellationRequested)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(endpoint, timeout.Token);
                    await socket.SendAsync(request, timeout.Token);
                    int total = 0, n;
                    while (total < buffer.Length && (n = await socket.ReceiveAsync(buffer.AsMemory(total), timeout.Token)) > 0) total += n;
                    bool ok = total > 12 && System.Text.Encoding.ASCII.GetString(buffer, 0, 12) == "HTTP/1.1 200";
                    Record(ok, ok ? null : total == 0 ? "closed without an answer" : System.Text.Encoding.ASCII.GetString(buffer, 0, Math.Min(total, 12)));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Record(false, ex is OperationCanceledException ? "timeout" : ex.GetBaseException().Message.ReplaceLineEndings(" "));
                }
                try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { return; }
            }
        })));
        await flusher;
        lock (gate) output.Flush();
        return 0;
    }
}
