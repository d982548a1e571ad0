using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Spokes.Agent.Config;

namespace Spokes.Agent.Local;

/// <summary>
/// Serves the local API on a Unix socket next to the config file. The socket gets mode 0600 and
/// the config directory is the owner's, so only the config's owner can reach it.
/// </summary>
internal sealed class LocalApiServer : IAsyncDisposable
{
    private readonly string _path;
    private readonly Func<LocalRequest, CancellationToken, Task<LocalResponse>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    public LocalApiServer(string path, Func<LocalRequest, CancellationToken, Task<LocalResponse>> handler)
    {
        _path = path;
        _handler = handler;
    }

    /// <summary>Binds the socket; throws <see cref="InvalidOperationException"/> when another agent already serves it.</summary>
    public async Task StartAsync()
    {
        if (File.Exists(_path))
        {
            if (await LocalApiClient.IsListeningAsync(_path).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"another agent is already running with this config ({_path})");
            }

            File.Delete(_path); // left behind by an agent that did not stop cleanly
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(_path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        if (_listener is not null)
        {
            File.Delete(_path);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        try
        {
            while (await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                LocalResponse response;
                try
                {
                    LocalRequest request = JsonSerializer.Deserialize(line, AgentJsonContext.Default.LocalRequest)
                        ?? throw new JsonException("empty request");
                    response = await _handler(request, _stop.Token).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    response = LocalResponse.Fail(LocalFailures.Invalid, $"bad request: {ex.Message}");
                }

                await writer.WriteLineAsync(JsonSerializer.Serialize(response, AgentJsonContext.Default.LocalResponse)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The command went away or the agent is stopping.
        }
    }
}
