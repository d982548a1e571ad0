using Akka.Actor;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Nodes;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Edge.Listeners;
using Spokes.Edge.Relay;
using Spokes.Edge.Routing;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Sessions;

/// <summary>
/// Serves one agent connection (TLS on the server's domain, ALPN spokes/1): registration, the control
/// connection that opens a session, or a data connection joining one. The connection lives as long as its
/// multiplexer. Agents normally arrive over <see cref="Listeners.HttpsPortTransport"/>'s own TLS; through Kestrel's
/// (<see cref="Listeners.AgentAlpnMiddleware"/>) only when their ClientHello did not come in one piece.
/// </summary>
public sealed class AgentConnectionHandler(AdminOperations operations, LocalLinks links, SessionManagerRef manager,
    RouteTableSource routes, EdgeIdentity identity, AgentTopology topology, NodeReadiness readiness, AgentGate gate,
    Socks.MeshStreams mesh, ILogger<AgentConnectionHandler> log) : Listeners.IAgentConnections
{
    public const string ServerVersion = "spokes/0.1";

    private readonly RefusalTally _refusals = RefusalTally.Every10Seconds();

    /// <summary>How long a node waits for another node's link of a session to replicate before refusing a join.</summary>
    private static readonly TimeSpan JoinWait = TimeSpan.FromSeconds(3);

    /// <summary>How long registration or deauthorization may take before the agent is told <c>busy</c>: shorter than
    /// its handshake timeout, so a cluster still forming (shards not yet allocated) gets an answer it retries on.</summary>
    internal static readonly TimeSpan OneShotDeadline = ControlProtocol.HandshakeTimeout - TimeSpan.FromSeconds(3);

    /// <summary>An agent connection that came through Kestrel's TLS.</summary>
    public Task HandleAsync(ConnectionContext connection) =>
        HandleAsync(connection.RemoteEndPoint, () => new MuxSession(connection.Transport, isClient: false), connection.ConnectionClosed);

    /// <inheritdoc/>
    public async Task HandleAsync(System.Net.EndPoint? remote, Func<MuxSession> open, CancellationToken closed)
    {
        var address = (remote as System.Net.IPEndPoint)?.Address.MapToIPv4();
        var client = address?.ToString() ?? "unknown";
        // Until the handshake is decided the connection carries its control stream only (docs/protocol.md, "Limits"),
        // and only so many connections may wait for theirs (AgentGate).
        using var pending = gate.TryBeginHandshake(address);
        if (pending is null) return;
        var mux = open();
        mux.PeerStreamLimit = 1;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(closed);
            handshake.CancelAfter(ControlProtocol.HandshakeTimeout);
            var first = await mux.AcceptStreamAsync(handshake.Token);
            if (first is null) return;
            var control = new ControlChannel(first);
            var message = await control.ReceiveHandshakeAsync(ControlProtocol.HandshakeTimeout, handshake.Token);
            pending.Dispose();
            if (message is not null && (readiness.Draining || !readiness.CanServe))
            {
                await control.RefuseAsync(RefusalCodes.Busy, readiness.Draining
                    ? $"node {identity.NodeName} is draining; connect to another node"
                    : $"node {identity.NodeName} is not serving yet: {readiness.Reason}");
                message = null;
            }
            if (message is not null && gate.RetryAfter(address) is { } wait)
            {
                // Guessing keys or registration tokens: refused before any entity is asked (a real agent retries later).
                await control.RefuseAsync(RefusalCodes.Busy, $"too many refused credentials from {client}; try again in {Math.Ceiling(wait.TotalSeconds):0} s");
                message = null;
            }
            using var session = message is Hello { SessionId: { } sessionId } ? ConnectionLog.BeginSession(log, sessionId) : null;
            var tunnel = message switch
            {
                Register r => await RegisterAsync(control, r, client, address),
                Deauthorize d => await DeauthorizeAsync(control, d, client, address),
                Hello { Role: ConnectionRole.Control } h => await OpenSessionAsync(mux, control, h, client, address),
                Hello h => await JoinSessionAsync(mux, control, h, client, address),
                _ => null,
            };
            using var ofTunnel = tunnel is null ? null : ConnectionLog.BeginTunnel(log, tunnel);
            if (tunnel is not null)
            {
                // A session's connection: from now on the agent may open streams for its port maps.
                mux.PeerStreamLimit = int.MaxValue;
                var maps = mesh.AcceptAsync(mux, tunnel, remote, closed);
                await mux.Completion.WaitAsync(closed);
                await maps;
            }
            else
            {
                // Let the answer (Registered or Refused) reach the agent: end our side of the control stream
                // and give the agent a moment to hang up before the connection is torn down.
                await first.Output.CompleteAsync();
                await Task.WhenAny(mux.Completion, Task.Delay(TimeSpan.FromSeconds(2), closed));
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or TimeoutException or ControlProtocolException or MuxException)
        {
            log.LogDebug("agent connection from {Client} ended: {Reason}", client, ex.Message);
        }
        finally
        {
            await mux.DisposeAsync();
        }
    }

    private async Task<string?> RegisterAsync(ControlChannel control, Register register, string client, System.Net.IPAddress? address)
    {
        var reply = await WithinDeadline(operations.RegisterAgentAsync(register.RegistrationToken, register.UserId, register.TunnelHostname));
        if (reply is AdminSecretCreated created)
        {
            log.LogInformation("agent from {Client} registered auth token {TokenId}", client, created.Id);
            await control.SendAsync(new Registered { Key = created.Value });
            return null;
        }
        // Bad input here (an agent id that is not one) is the agent's request, not an inactive token.
        await Refuse(control, reply as Refusal, client, address, invalid: RefusalCodes.BadRequest);
        return null;
    }

    /// <summary><c>spokes-agent deauth</c>: the key proves who asks; its token is deactivated and its tunnel shut down.</summary>
    private async Task<string?> DeauthorizeAsync(ControlChannel control, Deauthorize deauthorize, string client, System.Net.IPAddress? address)
    {
        var reply = await WithinDeadline(operations.DeauthorizeAgentAsync(deauthorize.Key));
        if (reply is AdminDone { Message: var tokenId })
        {
            log.LogInformation("agent from {Client} revoked its auth token {TokenId}", client, tokenId);
            await control.SendAsync(new Deauthorized { TokenId = tokenId });
            return null;
        }
        await Refuse(control, reply as Refusal, client, address);
        return null;
    }

    /// <summary>The session's tunnel id once the connection is its control connection; null when refused.</summary>
    private async Task<string?> OpenSessionAsync(MuxSession mux, ControlChannel control, Hello hello, string client, System.Net.IPAddress? address)
    {
        var auth = await operations.AuthenticateAgentAsync(hello.Key);
        if (auth is not AuthTokenReply { Token: var token })
        {
            await Refuse(control, auth as Refusal, client, address);
            return null;
        }
        var link = new TunnelLink(token.TunnelId, SecretValues.NewId(), SecretValues.NewToken(), operations.MaxPoolSize, client, mux, control,
            hello.Features);
        await control.SendAsync(WelcomeFor(link, control: true));
        manager.Actor.Tell(new StartSession(link, NewSession: true));
        return link.TunnelId;
    }

    /// <summary>A further connection of a session: joins this node's link of it, or — when the session lives on
    /// other nodes so far — becomes this node's link, admitted by the session secret the other nodes replicated
    /// (no node is asked, so a join works while another node of the session is gone).</summary>
    private async Task<string?> JoinSessionAsync(MuxSession mux, ControlChannel control, Hello hello, string client, System.Net.IPAddress? address)
    {
        if (hello.SessionId is null || hello.SessionSecret is null)
        {
            await control.RefuseAsync(RefusalCodes.BadRequest, "a data connection names its session");
            return null;
        }
        if (links.TryGetSession(hello.SessionId, out var link))
        {
            if (!SecretValues.FixedTimeEquals(link.SessionSecret, hello.SessionSecret))
            {
                await control.RefuseAsync(RefusalCodes.UnknownSession, "no such session on this node; reconnect the control connection");
                return null;
            }
            if (!link.TryAddConnection(mux))
            {
                await control.RefuseAsync(RefusalCodes.PoolFull, $"the pool already has {link.MaxPoolSize} connections");
                return null;
            }
            await control.SendAsync(WelcomeFor(link, control: false));
            // Stream 1 of a further connection carries nothing after its welcome: both sides end it, so it is not
            // counted as an open stream (the agent closes such a connection once it carried none for a while).
            await control.DisposeAsync();
            return link.TunnelId;
        }
        var known = hello.Features?.Contains(AgentFeatures.Legs) == true ? await FindSessionAsync(hello.SessionId, hello.SessionSecret) : null;
        if (known is null)
        {
            await control.RefuseAsync(RefusalCodes.UnknownSession, "no such session in the cluster; reconnect the control connection");
            return null;
        }
        link = new TunnelLink(known.TunnelId, hello.SessionId, hello.SessionSecret, operations.MaxPoolSize, client, mux, control, hello.Features);
        await control.SendAsync(WelcomeFor(link, control: true));
        manager.Actor.Tell(new StartSession(link, NewSession: false));
        return link.TunnelId;
    }

    /// <summary>A replicated link of the session whose secret matches, when it is the tunnel's newest session.</summary>
    private async Task<LinkPresence?> FindSessionAsync(string sessionId, string secret)
    {
        var digest = SecretValues.Digest(secret);
        var deadline = Environment.TickCount64 + (long)JoinWait.TotalMilliseconds;
        while (true)
        {
            var table = routes.Current;
            if (table.Sessions.TryGetValue(sessionId, out var session))
            {
                var match = session.FirstOrDefault(l => SecretValues.FixedTimeEquals(l.SecretHash, digest));
                if (match is null) return null;
                var newer = table.ByTunnel.TryGetValue(match.TunnelId, out var target) && target.SessionId != sessionId
                    && target.Links.Min(l => l.Since) > match.Since;
                return newer ? null : match;
            }
            if (Environment.TickCount64 > deadline) return null;
            await Task.Delay(50);
        }
    }

    private Welcome WelcomeFor(TunnelLink link, bool control) => new()
    {
        ProtocolVersion = ControlProtocol.Version, TunnelId = link.TunnelId, SessionId = link.SessionId,
        SessionSecret = link.SessionSecret, MaxPoolSize = link.MaxPoolSize, ServerVersion = ServerVersion,
        Node = identity.NodeName, Control = control, Legs = topology.AgentNodes, Features = [NodeFeatures.Firewall, NodeFeatures.Map],
        Nodes = [.. routes.Current.Nodes.Values.OrderBy(n => n.Node, StringComparer.Ordinal).Select(n => new NodeEndpoint(n.Node, n.Advertise, n.Draining))],
    };

    /// <param name="invalid">What <see cref="ErrorCode.Invalid"/> means to the agent: an inactive key (hello, deauth), or a
    /// bad request (registration).</param>
    /// <summary>The operation's answer, or <c>busy</c> when the cluster did not give one within <see cref="OneShotDeadline"/>
    /// (the operation itself runs on: a registration whose answer came too late has still counted its use).</summary>
    private static async Task<IWireMessage> WithinDeadline(Task<IWireMessage> operation)
    {
        try
        {
            return await operation.WaitAsync(OneShotDeadline);
        }
        catch (RefusedException refused)
        {
            return refused.Refusal;
        }
        catch (Exception ex) when (ex is TimeoutException or AskTimeoutException)
        {
            return new Refusal(ErrorCode.Unavailable, $"the cluster did not answer within {OneShotDeadline.TotalSeconds:0} s; try again");
        }
    }

    private async Task Refuse(ControlChannel control, Refusal? refusal, string client, System.Net.IPAddress? address,
        string invalid = RefusalCodes.Inactive)
    {
        if (refusal?.Code is ErrorCode.Unauthorized or ErrorCode.NotFound) gate.Failed(address);
        var code = refusal?.Code switch
        {
            ErrorCode.Unauthorized => RefusalCodes.Unauthorized,
            ErrorCode.Invalid => invalid,
            ErrorCode.Unavailable => RefusalCodes.Busy,
            _ => RefusalCodes.BadRequest,
        };
        if (_refusals.Note(out var more)) log.LogInformation("agent from {Client} refused: {Reason}{More}", client, refusal?.Message, more);
        await control.RefuseAsync(code, refusal?.Message ?? "refused");
    }
}

/// <summary>The node's session manager actor, for services created by dependency injection.</summary>
public sealed record SessionManagerRef(IActorRef Actor);

/// <summary>How agents spread over the cluster: on how many distinct nodes each keeps connections
/// (<c>cluster.agentNodes</c>).</summary>
public sealed record AgentTopology(int AgentNodes);
