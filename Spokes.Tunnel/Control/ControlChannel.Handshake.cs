namespace Spokes.Tunnel.Control;

/// <summary>The first exchange on a connection, bounded by a handshake timeout.</summary>
public sealed partial class ControlChannel
{
    /// <summary>Agent: send Hello, await Welcome. Refused throws <see cref="ControlRefusedException"/>.</summary>
    public async Task<Welcome> HelloAsync(Hello hello, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ControlMessage reply = await ExchangeAsync(hello, timeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            Welcome { ProtocolVersion: ControlProtocol.Version } welcome => welcome,
            Welcome welcome => throw new ControlProtocolException(
                $"node speaks spokes protocol {welcome.ProtocolVersion}; this agent speaks {ControlProtocol.Version}"),
            Refused refused => throw new ControlRefusedException(refused.Code, refused.Message),
            _ => throw new ControlProtocolException($"expected welcome or refused, got {reply.GetType().Name}"),
        };
    }

    /// <summary>Agent, one-shot connection: send Register, await Registered (the key).</summary>
    public Task<Registered> RegisterAsync(Register register, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        OneShotAsync<Registered>(register, timeout, cancellationToken);

    /// <summary>Agent, one-shot connection: send Deauthorize, await Deauthorized.</summary>
    public Task<Deauthorized> DeauthorizeAsync(Deauthorize deauthorize, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        OneShotAsync<Deauthorized>(deauthorize, timeout, cancellationToken);

    /// <summary>The one exchange of a one-shot connection: the expected answer, or Refused thrown.</summary>
    private async Task<T> OneShotAsync<T>(ControlMessage request, TimeSpan timeout, CancellationToken cancellationToken) where T : ControlMessage
    {
        ControlMessage reply = await ExchangeAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            T answer => answer,
            Refused refused => throw new ControlRefusedException(refused.Code, refused.Message),
            _ => throw new ControlProtocolException($"expected {typeof(T).Name.ToLowerInvariant()} or refused, got {reply.GetType().Name}"),
        };
    }

    /// <summary>
    /// Node: the first message, which must be Hello, Register or Deauthorize of this protocol version. Anything
    /// else is answered with Refused and thrown; the caller then closes the connection.
    /// </summary>
    public async Task<ControlMessage> ReceiveHandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ControlMessage? first;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                first = await ReceiveAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no hello within the handshake timeout of {timeout.TotalSeconds:0.###} s");
            }
        }

        int? version = first switch
        {
            Hello hello => hello.ProtocolVersion,
            Register register => register.ProtocolVersion,
            Deauthorize deauthorize => deauthorize.ProtocolVersion,
            null => throw new ControlProtocolException("the connection closed before hello"),
            _ => throw await RefuseAsync(RefusalCodes.BadRequest, $"expected hello, register or deauthorize, got {first.GetType().Name}").ConfigureAwait(false),
        };
        if (version != ControlProtocol.Version)
        {
            throw await RefuseAsync(RefusalCodes.VersionMismatch,
                $"agent speaks spokes protocol {version}; this node speaks {ControlProtocol.Version}").ConfigureAwait(false);
        }

        return first;
    }

    /// <summary>Sends Refused and returns the matching exception for the caller to throw.</summary>
    public async Task<ControlRefusedException> RefuseAsync(string code, string message)
    {
        try
        {
            await SendAsync(new Refused { Code = code, Message = message }).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is gone already; the refusal is still the outcome.
        }

        return new ControlRefusedException(code, message);
    }

    private async Task<ControlMessage> ExchangeAsync(ControlMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await SendAsync(request, deadline.Token).ConfigureAwait(false);
            return await ReceiveAsync(deadline.Token).ConfigureAwait(false)
                ?? throw new ControlProtocolException("the node closed the connection during the handshake");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply within the handshake timeout of {timeout.TotalSeconds:0.###} s");
        }
    }
}
