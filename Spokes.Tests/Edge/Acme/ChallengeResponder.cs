using System.Net;
using System.Net.Sockets;
using System.Text;
using Spokes.Acme;
using Spokes.Edge.Acme;

namespace Spokes.Tests.Edge.Acme;

/// <summary>A minimal HTTP/1.1 responder on 127.0.0.1 that answers http-01 challenges from an <see cref="AcmeChallengeStore"/>.</summary>
internal sealed class ChallengeResponder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly AcmeChallengeStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _answered;

    public ChallengeResponder(AcmeChallengeStore store)
    {
        _store = store;
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Answered => Volatile.Read(ref _answered);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var requestLine = await reader.ReadLineAsync(_stop.Token) ?? "";
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token))) { }
                var parts = requestLine.Split(' ');
                var answer = parts.Length >= 2 ? _store.AnswerFor(parts[1]) : null;
                var body = answer ?? "not found";
                var status = answer is null ? "404 Not Found" : "200 OK";
                if (answer is not null) Interlocked.Increment(ref _answered);
                var bytes = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
                await stream.WriteAsync(bytes, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // the validator went away
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
