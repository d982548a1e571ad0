using System.Net;
using System.Net.Sockets;

namespace Spokes.Tests.Agent;

/// <summary>A temp directory with a config path and a test node; disposes everything it started.</summary>
internal sealed class AgentTestbed : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public AgentTestbed()
    {
        // Short path: a Unix socket path must stay under ~100 bytes.
        Directory = Path.Combine(Path.GetTempPath(), "sa-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Directory);
        ConfigPath = Path.Combine(Directory, "agent", "config.json");
        Node = new TestNode(Directory);
        _owned.Add(Node);
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public TestNode Node { get; }

    public Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args) => AgentProcess.RunAsync(ConfigPath, null, args);

    public Task<(int Exit, string Output, string Errors)> RunWithStdinAsync(string stdin, params string[] args) =>
        AgentProcess.RunAsync(ConfigPath, stdin, args);

    public async Task ConfigureAsync()
    {
        var result = await RunAsync("configure", "--hostname", TestNode.Hostname, "--address", "127.0.0.1",
            "--port", Node.Port.ToString(), "--key", "test-key-0123456789", "--ca", Node.CaPath);
        Assert.True(result.Exit == 0, result.Output);
    }

    /// <summary>Starts the agent and waits until the node has welcomed it.</summary>
    public async Task<(AgentProcess Agent, AgentLink Link)> StartAsync()
    {
        var agent = AgentProcess.Start(ConfigPath, "start");
        _owned.Insert(0, agent);
        await agent.WaitForLineAsync("connected to spokes.test (tunnel t-1)");
        return (agent, await Node.NextLinkAsync());
    }

    /// <summary>A local service that echoes what it reads and closes its side after the visitor's FIN.</summary>
    public int StartEchoBackend()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _owned.Add(new Stopper(listener));
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var buffer = new byte[64 * 1024];
                        int read;
                        while ((read = await socket.ReceiveAsync(buffer)) > 0)
                        {
                            await socket.SendAsync(buffer.AsMemory(0, read));
                        }

                        socket.Shutdown(SocketShutdown.Send);
                    }
                });
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Stopper(TcpListener listener) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            listener.Stop();
            return ValueTask.CompletedTask;
        }
    }
}
