using Akka.Actor;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Tokens;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Sessions;

/// <summary>
/// Serves one agent connection (TLS on the server's domain, ALPN spokes/1): registration, the control
/// connection that opens a session, or a data connection joining one. The Kestrel connection lives as long
/// as its multiplexer.
/// </summary>
public sealed class AgentConnectionHandler(AdminOperations operations, LocalLinks links, SessionManagerRef manager,
    ILogger<AgentConnectionHandler> log)
{
    public const string ServerVersion = "spokes/0.1";

    public async Task HandleAsync(ConnectionContext connection)
    {
        var client = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address.MapToIPv4().ToString() ?? "unknown";
        var mux = new MuxSession(connection.Transport, isClient: false);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            handshake.CancelAfter(ControlProtocol.HandshakeTimeout);
            var first = await mux.AcceptStreamAsync(handshake.Token);
            if (first is null) return;
            var control = new ControlChannel(first);
            var message = await control.ReceiveHandshakeAsync(ControlProtocol.HandshakeTimeout, handshake.Token);
            var keepOpen = message switch
            {
                Register r => await RegisterAsync(control, r, client),
                Hello { Role: ConnectionRole.Control } h => await OpenSessionAsync(mux, control, h, client),
                Hello h => await JoinSessionAsync(mux, control, h),
                _ => false,
            };
            if (keepOpen)
            {
                await mux.Completion.WaitAsync(connection.ConnectionClosed);
            }
            else
            {
                // Let the answer (Registered or Refused) reach the agent: end our side of the control stream
                // and give the agent a moment to hang up before the connection is torn down.
                await first.Output.CompleteAsync();
                await Task.WhenAny(mux.Completion, Task.Delay(TimeSpan.FromSeconds(2), connection.ConnectionClosed));
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

    private async Task<bool> RegisterAsync(ControlChannel control, Register register, string client)
    {
        var reply = await operations.RegisterAgentAsync(register.RegistrationToken, register.UserId, register.TunnelHostname);
        if (reply is AdminSecretCreated created)
        {
            log.LogInformation("agent from {Client} registered auth token {TokenId}", client, created.Id);
            await control.SendAsync(new Registered { Key = created.Value });
            return false;
        }
        await Refuse(control, reply as Refusal, client);
        return false;
    }

    private async Task<bool> OpenSessionAsync(MuxSession mux, ControlChannel control, Hello hello, string client)
    {
        var auth = await operations.AuthenticateAgentAsync(hello.Key);
        if (auth is not AuthTokenReply { Token: var token })
        {
            await Refuse(control, auth as Refusal, client);
            return false;
        }
        var link = new TunnelLink(token.TunnelId, SecretValues.NewId(), SecretValues.NewToken(), operations.MaxPoolSize, client, mux, control);
        await control.SendAsync(new Welcome
        {
            ProtocolVersion = ControlProtocol.Version, TunnelId = link.TunnelId, SessionId = link.SessionId,
            SessionSecret = link.SessionSecret, MaxPoolSize = link.MaxPoolSize, ServerVersion = ServerVersion,
        });
        manager.Actor.Tell(new StartSession(link));
        return true;
    }

    private async Task<bool> JoinSessionAsync(MuxSession mux, ControlChannel control, Hello hello)
    {
        if (hello.SessionId is null || hello.SessionSecret is null || !links.TryGetSession(hello.SessionId, out var link)
            || !SecretValues.FixedTimeEquals(link.SessionSecret, hello.SessionSecret))
        {
            await control.RefuseAsync(RefusalCodes.UnknownSession, "no such session on this node; reconnect the control connection");
            return false;
        }
        if (!link.TryAddConnection(mux))
        {
            await control.RefuseAsync(RefusalCodes.PoolFull, $"the pool already has {link.MaxPoolSize} connections");
            return false;
        }
        await control.SendAsync(new Welcome
        {
            ProtocolVersion = ControlProtocol.Version, TunnelId = link.TunnelId, SessionId = link.SessionId,
            SessionSecret = link.SessionSecret, MaxPoolSize = link.MaxPoolSize, ServerVersion = ServerVersion,
        });
        return true;
    }

    private async Task Refuse(ControlChannel control, Refusal? refusal, string client)
    {
        var code = refusal?.Code switch
        {
            ErrorCode.Unauthorized => RefusalCodes.Unauthorized,
            ErrorCode.Invalid => RefusalCodes.Inactive,
            ErrorCode.Unavailable => RefusalCodes.Busy,
            _ => RefusalCodes.BadRequest,
        };
        log.LogInformation("agent from {Client} refused: {Reason}", client, refusal?.Message);
        await control.RefuseAsync(code, refusal?.Message ?? "refused");
    }
}

/// <summary>The node's session manager actor, for services created by dependency injection.</summary>
public sealed record SessionManagerRef(IActorRef Actor);
