using Akka.Actor;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Mux;

namespace Spokes.Edge.Sessions;

/// <summary>Reads the agent's control channel: requests go to the session actor and its answers go back;
/// keepalive pings detect a silently dead agent. When the channel ends, the actor hears LinkClosed.</summary>
internal static class ControlLoop
{
    /// <summary>The node answers an agent's request within this, an error when the session did not decide in time
    /// (the agent waits 25 s). See docs/internals.md, "Timeouts".</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);

    public static void Start(TunnelLink link, IActorRef session)
    {
        _ = Task.Run(() => ReadAsync(link, session));
        _ = Task.Run(() => PingAsync(link, session));
    }

    private static async Task ReadAsync(TunnelLink link, IActorRef session)
    {
        var reason = "agent closed the control channel";
        try
        {
            while (await link.Control.ReceiveAsync(link.Closed) is { } message)
            {
                switch (message)
                {
                    case ControlRequest request:
                        _ = AnswerAsync(link, session, request);
                        break;
                    case KeepAlivePing ping:
                        await link.Control.SendAsync(new KeepAlivePong { Nonce = ping.Nonce }, link.Closed);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ControlProtocolException)
        {
            reason = ex.Message;
        }
        catch (Exception ex)
        {
            // Whatever else went wrong, the link must not outlive its channel.
            reason = $"control channel failed: {ex.GetType().Name}: {ex.Message}";
        }
        session.Tell(new LinkClosed(reason));
    }

    private static async Task AnswerAsync(TunnelLink link, IActorRef session, ControlRequest request)
    {
        try
        {
            ControlOutcome outcome;
            try
            {
                outcome = await session.Ask<ControlOutcome>(new AgentRequest(request), RequestTimeout);
            }
            catch (AskTimeoutException)
            {
                outcome = ControlOutcome.Failed(
                    $"the node did not decide {request.GetType().Name} within {RequestTimeout.TotalSeconds:0} s (the cluster is slow or a store step hangs); try again");
            }
            if (outcome.Ok) await link.Control.ReplyOkAsync(request, outcome.Port, outcome.Results, link.Closed);
            else await link.Control.ReplyErrorAsync(request, outcome.Error ?? "refused", link.Closed);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or AskTimeoutException)
        {
            // The link is closing; the agent will resync its rules when it reconnects.
        }
    }

    private static async Task PingAsync(TunnelLink link, IActorRef session)
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(link.Closed))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(link.Closed);
                timeout.CancelAfter(PingInterval);
                await link.Control.Stream.Session.PingAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (link.Closed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or MuxException or IOException)
        {
            session.Tell(new LinkClosed("agent stopped answering keepalives"));
        }
    }
}
