using System.Collections.Immutable;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Hosting;
using Spokes.Actors.Remoting;

namespace Spokes.Actors.Client;

/// <summary>The cluster could not be reached; the CLI exits 3 with this one line.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);

/// <summary>
/// How the CLI talks to a running cluster: a small actor system of its own, remoting over the same mutual
/// TLS as the nodes (it presents the cluster certificate), and a cluster client that sends each request to
/// the gateway of a node through the receptionist. It never opens the store.
/// </summary>
public sealed class ClusterAdminClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private IActorRef? _gateway;
    private Task? _gatewayLost;

    private ClusterAdminClient(ActorSystem system, IActorRef client)
    {
        _system = system;
        _client = client;
    }

    public static async Task<ClusterAdminClient> ConnectAsync(IReadOnlyList<(string Host, int Port)> contacts,
        X509Certificate2 certificate, CancellationToken ct = default)
    {
        await ProbeAsync(contacts, certificate, ct);
        var localHost = contacts.All(c => c.Host is "127.0.0.1" or "localhost" or "::1") ? "127.0.0.1" : "0.0.0.0";
        var hocon = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.cluster.client {
              establishing-get-contacts-interval = 1s
              reconnect-timeout = 15s
            }
            # A node that dies or freezes under a request is noticed by watching its gateway (see SendAsync).
            akka.remote.watch-failure-detector {
              heartbeat-interval = 1s
              acceptable-heartbeat-pause = 5s
              unreachable-nodes-reaper-interval = 1s
            }
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            # The CLI's output is its answer (and JSON with --json): failures surface as one line, not logs.
            akka.loglevel = OFF
            akka.stdout-loglevel = OFF
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            """)
            .WithFallback(ConfigurationFactory.ParseString(ClusterTls.Hocon(localHost, 0)))
            .WithFallback(ConfigurationFactory.ParseString(SpokesHocon.Serialization))
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.DefaultConfig());
        var setup = BootstrapSetup.Create().WithConfig(hocon).And(new ClusterTlsSetup(certificate));
        var system = ActorSystem.Create("spokes-cli", setup);
        var initial = contacts.Select(c =>
            ActorPath.Parse($"{SpokesAkkaExtensions.SeedAddress(c.Host, c.Port)}/system/receptionist")).ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(initial)), "client");
        return new ClusterAdminClient(system, client);
    }

    /// <summary>Fails fast, with the reason, when no contact point completes a TLS handshake with the cluster
    /// certificate (nothing listening, or a node of another cluster).</summary>
    private static async Task ProbeAsync(IReadOnlyList<(string Host, int Port)> contacts, X509Certificate2 certificate,
        CancellationToken ct)
    {
        var errors = new List<string>();
        foreach (var (host, port) in contacts)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(host, port, timeout.Token);
                await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false,
                    (_, presented, _, _) => presented is not null &&
                        presented.GetCertHashString() == certificate.GetCertHashString());
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "spokes-cluster",
                    ClientCertificates = [certificate],
                }, timeout.Token);
                return;
            }
            catch (AuthenticationException)
            {
                errors.Add($"{host}:{port} (its certificate is not this cluster's)");
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
            {
                errors.Add($"{host}:{port} ({(ex is SocketException se ? se.SocketErrorCode.ToString() : ex is IOException ? "closed" : "timed out")})");
            }
        }
        throw new ClusterUnreachableException($"cannot reach the Spokes cluster at {string.Join(", ", errors)}: is a node running?");
    }

    /// <summary>Sends one request and waits for its answer. The gateway that takes requests is watched, so a node that
    /// dies or freezes under a request fails the call once the remote failure detector gives it up (~10 s), not after
    /// <paramref name="timeout"/>.</summary>
    public async Task<IWireMessage> SendAsync(IAdminRequest request, TimeSpan timeout)
    {
        try
        {
            var (gateway, lost) = await WatchedGatewayAsync(timeout);
            var answer = AnswerAsync(request, timeout);
            if (lost is not null && await Task.WhenAny(answer, lost) == lost)
            {
                _ = answer.ContinueWith(t => t.Exception, TaskScheduler.Default); // its timeout is of no interest now
                throw new ClusterUnreachableException(
                    $"the node at {gateway!.Path.Address.Host}:{gateway.Path.Address.Port} stopped answering while it worked " +
                    "on the request; run the command again (a change may or may not have been made)");
            }
            return await answer;
        }
        catch (AskTimeoutException)
        {
            // The probe has already proved the certificate; what is left is a node that stalled under the request.
            throw new ClusterUnreachableException(
                $"the Spokes cluster did not answer within {timeout.TotalSeconds:0} s (the node is overloaded); run the command again");
        }
    }

    /// <summary>The gateway this client's requests reach (asked once, again after it was lost) and a task that completes
    /// when it terminates; no task when the node has no gateway (the request then times out).</summary>
    private async Task<(IActorRef? Gateway, Task? Lost)> WatchedGatewayAsync(TimeSpan timeout)
    {
        if (_gatewayLost is { IsCompleted: false }) return (_gateway, _gatewayLost);
        var identity = await _client.Ask<ActorIdentity>(
            new ClusterClient.Send(AdminGateway.Path, new Identify(null), localAffinity: true), timeout);
        _gateway = identity.Subject;
        _gatewayLost = null;
        if (_gateway is not null)
        {
            var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _system.ActorOf(Props.Create(() => new GatewayWatcher(_gateway, terminated)));
            _gatewayLost = terminated.Task;
        }
        return (_gateway, _gatewayLost);
    }

    private async Task<IWireMessage> AnswerAsync(IAdminRequest request, TimeSpan timeout)
    {
        var reply = await _client.Ask<IWireMessage>(new ClusterClient.Send(AdminGateway.Path, request, localAffinity: true), timeout);
        if (reply is not ReplyChunk first) return reply;
        // A large answer comes in parts from the same gateway (the receptionist this client talks to).
        var parts = new List<ReplyChunk>(first.Count) { first };
        for (var i = 1; i < first.Count; i++)
        {
            var next = await _client.Ask<IWireMessage>(
                new ClusterClient.Send(AdminGateway.Path, new NextReplyChunk(first.ReplyId, i), localAffinity: true), timeout);
            if (next is not ReplyChunk part || part.ReplyId != first.ReplyId || part.Index != i)
                return next as Refusal ?? new Refusal(ErrorCode.Failed, "a large answer came back out of order; run the command again");
            parts.Add(part);
        }
        return ReplyChunks.Join(_system, parts);
    }

    public async ValueTask DisposeAsync()
    {
        await _system.Terminate().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
    }

    /// <summary>Completes its task when the watched gateway terminates (stopped, or its node lost to the remote failure
    /// detector).</summary>
    private sealed class GatewayWatcher : ReceiveActor
    {
        public GatewayWatcher(IActorRef gateway, TaskCompletionSource terminated)
        {
            Context.Watch(gateway);
            Receive<Terminated>(_ =>
            {
                terminated.TrySetResult();
                Context.Stop(Self);
            });
        }
    }
}
