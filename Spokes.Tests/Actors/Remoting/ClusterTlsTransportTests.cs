using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Spokes.Actors.Remoting;
using Spokes.Actors.Security;
using Xunit;

namespace Spokes.Tests.Actors.Remoting;

/// <summary>The cluster port's transport between real actor systems on loopback sockets.</summary>
public sealed class ClusterTlsTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly X509Certificate2 _cluster = ClusterCertificate.Create();
    private readonly List<ActorSystem> _systems = [];

    [Fact]
    public async Task SameCertificate_SmallAndLargeMessagesCrossInOrder()
    {
        var (_, echo) = StartWithEcho(_cluster);
        var client = Start(_cluster);
        var remote = await client.ActorSelection(echo).ResolveOne(Bound);

        Assert.Equal("hello", await remote.Ask<string>("hello", Bound));
        var large = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(large);
        Assert.Equal(large, await remote.Ask<byte[]>(large, Bound));
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => remote.Ask<string>($"m{i}", Bound)));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}"), answers);
    }

    [Fact]
    public async Task ForeignCertificate_CannotReachTheSystem_WhichKeepsServing()
    {
        var (_, echo) = StartWithEcho(_cluster);
        var stranger = Start(ClusterCertificate.Create());

        await Assert.ThrowsAsync<ActorNotFoundException>(() => stranger.ActorSelection(echo).ResolveOne(TimeSpan.FromSeconds(3)));

        var member = Start(_cluster);
        var remote = await member.ActorSelection(echo).ResolveOne(Bound);
        Assert.Equal("still here", await remote.Ask<string>("still here", Bound));
    }

    /// <summary>Akka's DotNetty transport ran coordinated shutdown — the whole node stopped — when an outbound
    /// handshake failed, as it does against a peer that is leaving. Here only that association fails.</summary>
    [Fact]
    public async Task OutboundHandshakeReset_FailsThatAssociationOnly_TheSystemKeepsRunning()
    {
        using var resetter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        resetter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        resetter.Listen();
        var port = ((IPEndPoint)resetter.LocalEndPoint!).Port;
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try { socket = await resetter.AcceptAsync(); }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { return; }
                await socket.ReceiveAsync(new byte[1]);
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
                accepted.TrySetResult();
            }
        });
        var (_, echo) = StartWithEcho(_cluster);
        var client = Start(_cluster);

        await Assert.ThrowsAsync<ActorNotFoundException>(() =>
            client.ActorSelection($"akka.ssl.tcp://spokes@127.0.0.1:{port}/user/echo").ResolveOne(TimeSpan.FromSeconds(3)));
        await accepted.Task.WaitAsync(Bound);

        Assert.False(client.WhenTerminated.IsCompleted);
        var remote = await client.ActorSelection(echo).ResolveOne(Bound);
        Assert.Equal("alive", await remote.Ask<string>("alive", Bound));
        Assert.False(client.WhenTerminated.IsCompleted);
    }

    private (ActorSystem System, string EchoPath) StartWithEcho(X509Certificate2 certificate)
    {
        var system = Start(certificate);
        system.ActorOf(Props.Create(() => new Echo()), "echo");
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        return (system, $"{address}/user/echo");
    }

    private ActorSystem Start(X509Certificate2 certificate)
    {
        var config = ConfigurationFactory.ParseString("""
                akka.actor.provider = remote
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                """)
            .WithFallback(ConfigurationFactory.ParseString(ClusterTls.Hocon("127.0.0.1", 0)));
        var system = ActorSystem.Create("spokes", BootstrapSetup.Create().WithConfig(config).And(new ClusterTlsSetup(certificate)));
        _systems.Add(system);
        return system;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_systems.Select(s => s.Terminate()));
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }
}
