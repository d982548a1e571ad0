using Spokes.Tunnel.Control;

namespace Spokes.Edge.Sessions;

// Local messages of the node's session actors; they never leave the node.

/// <summary>A request the agent sent on its control channel.</summary>
public sealed record AgentRequest(ControlRequest Request);

/// <summary>The answer to send back to the agent: Ok (with port / per-rule results) or an error line.</summary>
public sealed record ControlOutcome(bool Ok, int? Port = null, IReadOnlyList<RuleResult>? Results = null, string? Error = null)
{
    public static ControlOutcome Done(int? port = null, IReadOnlyList<RuleResult>? results = null) => new(true, port, results);
    public static ControlOutcome Failed(string error) => new(false, Error: error);
}

/// <summary>The agent's connections are gone.</summary>
public sealed record LinkClosed(string Reason);

/// <summary>End the session; with a shutdown reason the agent is told to stop for good.</summary>
public sealed record EndSession(string? ShutdownReason);

/// <summary>To the node's session manager: a new link of a session — the control connection of a new session
/// (<paramref name="NewSession"/>), or the agent's first connection to this node of a session opened elsewhere.</summary>
public sealed record StartSession(TunnelLink Link, bool NewSession);

/// <summary>To every link of this node: the node is draining; tell agents that understand it to move within
/// <paramref name="Seconds"/>.</summary>
public sealed record DrainLinks(int Seconds);
