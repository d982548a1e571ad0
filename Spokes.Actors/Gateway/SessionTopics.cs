using Spokes.Actors.Entities;

namespace Spokes.Actors.Gateway;

/// <summary>Distributed pub-sub topics the nodes' session managers subscribe to.</summary>
public static class SessionTopics
{
    /// <summary>A tunnel must lose its session wherever it is (shutdown, token revoked).</summary>
    public const string Shutdown = "spokes-tunnel-shutdown";

    /// <summary>A tunnel's agent opened a new session somewhere.</summary>
    public const string Started = "spokes-session-started";
}

/// <summary>Published cluster-wide when a tunnel must lose its session; the node holding it closes the agent's
/// connections after telling the agent why.</summary>
public sealed record TunnelShutdownRequested(string TunnelId, string Reason) : IWireMessage;

/// <summary>Published when a tunnel's agent opened a new session: any other node still holding an older
/// session of that tunnel closes it (the agent reconnected elsewhere).</summary>
public sealed record SessionOpened(string TunnelId, string SessionId, string Node) : IWireMessage;

/// <summary>To the session manager of the node holding a tunnel's session: apply an administrator's rule
/// change through the agent. Answered with <see cref="AdminDone"/> or a <see cref="Refusal"/>.</summary>
public sealed record PushRule(string TunnelId, RuleChange Change) : IWireMessage;
