namespace Spokes.Agent.Session;

/// <summary>The node told the agent to stop (refused its key, deactivated or shut down its tunnel): retrying would not help.</summary>
internal sealed class AgentStopException(string message) : Exception(message);
