using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Spokes.Edge.Listeners;

/// <summary>
/// Log scopes that tie a node's log lines to one connection and one agent session (README, "Logs"). Kestrel opens a
/// <c>ConnectionId</c> scope for the connections it accepts; the node opens one in the same form for those it accepts
/// itself (leased ports, SOCKS, agent connections sorted before Kestrel), and a <c>SessionId</c> / <c>TunnelId</c> scope
/// once an agent connection belongs to a session. Every line written while such a connection is served carries them:
/// <c>=&gt; ConnectionId:S00000A1B2</c> in text, a <c>Scopes</c> array in JSON.
/// </summary>
public static class ConnectionLog
{
    private static long _last = Random.Shared.NextInt64(1L << 32);

    /// <summary>A connection id unique in this process ("S" and 10 hex digits, beside Kestrel's own).</summary>
    public static string NextId() => "S" + Interlocked.Increment(ref _last).ToString("X10", CultureInfo.InvariantCulture);

    public static IDisposable? Begin(ILogger log) => log.BeginScope("ConnectionId:{ConnectionId}", NextId());

    public static IDisposable? BeginSession(ILogger log, string sessionId) => log.BeginScope("SessionId:{SessionId}", sessionId);

    public static IDisposable? BeginTunnel(ILogger log, string tunnelId) => log.BeginScope("TunnelId:{TunnelId}", tunnelId);
}
