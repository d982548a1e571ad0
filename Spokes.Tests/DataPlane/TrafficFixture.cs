using Spokes.Tests.DataPlane.Testbed;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// The bed the traffic tests share: one node (maxPorts 2), the backends, and agent "jack" with
/// app.example.com → the HTTP backend, tls.example.com → the TLS backend (passthrough), and one leased
/// port forwarded to the TCP echo.
/// </summary>
public sealed class TrafficFixture : IAsyncLifetime
{
    public const string AppDomain = "app.example.com";
    public const int MaxPorts = 2;

    internal SpokesTestbed Bed { get; private set; } = null!;

    internal TestAgent Agent { get; private set; } = null!;

    internal Visitor Visitor { get; private set; } = null!;

    internal HttpBackend HttpBackend { get; private set; } = null!;

    internal TlsBackend TlsBackend { get; private set; } = null!;

    internal TcpEchoBackend TcpBackend { get; private set; } = null!;

    public int LeasedPort { get; private set; }

    public async Task InitializeAsync()
    {
        HttpBackend = await HttpBackend.StartAsync();
        TlsBackend = TlsBackend.Start();
        TcpBackend = new TcpEchoBackend();
        // API key reads go to the audit trail every 2 s here (5 min by default), so a test sees them.
        Bed = await SpokesTestbed.StartAsync(MaxPorts, limits: new { apiKeyAuditSeconds = 2 });
        Visitor = new Visitor(Bed);
        try
        {
            Agent = await Bed.AddAgentAsync("jack", "jack");
            (await Agent.RunAsync("http", "add", "--domain", AppDomain, "--destination", "127.0.0.1", "--http", HttpBackend.Port.ToString())).ExpectExit(0);
            (await Agent.RunAsync("http", "add", "--domain", TlsBackend.Name, "--destination", "127.0.0.1", "--tls", TlsBackend.Port.ToString())).ExpectExit(0);
            await Agent.StartAsync();
            var allocated = (await Agent.RunAsync("tcp", "allocate")).ExpectExit(0);
            LeasedPort = int.Parse(allocated.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            (await Agent.RunAsync("tcp", "forward", "--port", LeasedPort.ToString(), "--destination", "127.0.0.1",
                "--dstport", TcpBackend.Port.ToString())).ExpectExit(0);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"the traffic bed did not come up: {ex.Message}\n--- processes ---\n{Bed.Log.Since(0)}", ex);
        }
    }

    public async Task DisposeAsync()
    {
        if (Bed is not null)
        {
            await Bed.DisposeAsync();
        }

        await HttpBackend.DisposeAsync();
        await TlsBackend.DisposeAsync();
        await TcpBackend.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DataPlaneCollection : ICollectionFixture<TrafficFixture>
{
    /// <summary>Every end-to-end class runs in this one collection, one at a time: node processes compete for two cores.</summary>
    public const string Name = "DataPlane";
}
