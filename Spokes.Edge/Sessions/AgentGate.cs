using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Security;
using Spokes.Edge.Relay;

namespace Spokes.Edge.Sessions;

/// <summary>
/// What an agent connection may cost before it proved anything (docs/reliability.md, "Before authentication"):
/// at most <see cref="HandshakesPerAddress"/> connections of one address and <see cref="Handshakes"/> in all may be
/// waiting for their handshake, and an address whose keys or registration tokens were refused
/// <see cref="FailuresPerWindow"/> times within <see cref="Window"/> is told to wait (busy, so a real agent retries
/// later) without any entity being asked. State is bounded: pending counters exist while connections wait,
/// failure windows are swept once expired. Addresses in <c>limits.exempt</c> (a balancer in front) count only
/// towards the node's total.
/// </summary>
public sealed class AgentGate(TimeProvider time, ExemptNetworks exempt, ILogger<AgentGate> log)
{
    public const int HandshakesPerAddress = 16;
    public const int Handshakes = 512;
    public const int FailuresPerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int SweepEvery = 1024;

    private readonly ConcurrentDictionary<IPAddress, int> _pending = new();
    private readonly ConcurrentDictionary<IPAddress, (DateTimeOffset Since, int Count)> _failures = new();
    private readonly RefusalTally _refusals = RefusalTally.Every10Seconds();
    private int _pendingTotal;
    private int _writes;

    /// <summary>A ticket for a connection waiting for its handshake (dispose it once the handshake is decided), or
    /// null when its address or the node has too many waiting.</summary>
    public IDisposable? TryBeginHandshake(IPAddress? address)
    {
        address = Normalize(address);
        if (Interlocked.Increment(ref _pendingTotal) > Handshakes)
        {
            Interlocked.Decrement(ref _pendingTotal);
            Refused(address, $"{Handshakes} handshakes are in progress on this node");
            return null;
        }
        if (address is not null && !OpenCounts.Enter(_pending, address, HandshakesPerAddress))
        {
            Interlocked.Decrement(ref _pendingTotal);
            Refused(address, $"it already has {HandshakesPerAddress} handshakes in progress");
            return null;
        }
        return new Ticket(this, address);
    }

    /// <summary>How long <paramref name="address"/> must wait before its credentials are looked at again, or null.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        address = Normalize(address);
        if (address is null || !_failures.TryGetValue(address, out var entry)) return null;
        var left = entry.Since + Window - time.GetUtcNow();
        if (left <= TimeSpan.Zero || entry.Count < FailuresPerWindow) return null;
        Refused(address, $"{entry.Count} refused credentials within {Window.TotalSeconds:0} s");
        return left;
    }

    /// <summary>A key or registration token from <paramref name="address"/> was refused. (An unknown session is not
    /// counted: agents meet it in normal operation after a node restarts, and its secret is not guessable.)</summary>
    public void Failed(IPAddress? address)
    {
        address = Normalize(address);
        if (address is null) return;
        var now = time.GetUtcNow();
        _failures.AddOrUpdate(address, _ => (now, 1),
            (_, e) => now - e.Since >= Window ? (now, 1) : (e.Since, e.Count + 1));
        if (Interlocked.Increment(ref _writes) % SweepEvery == 0) Sweep(now);
    }

    internal int TrackedEntries => _pending.Count + _failures.Count;

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, entry) in _failures)
            if (now - entry.Since >= Window) _failures.TryRemove(new KeyValuePair<IPAddress, (DateTimeOffset, int)>(address, entry));
    }

    private void Refused(IPAddress? address, string why)
    {
        if (_refusals.Note(out var more)) log.LogWarning("agent connections from {Address} refused: {Why}{More}", address, why, more);
    }

    /// <summary>The address to count, or null when it is not to be counted (unknown, or exempt).</summary>
    private IPAddress? Normalize(IPAddress? address) =>
        address is null || exempt.Contains(address) ? null : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Ticket(AgentGate gate, IPAddress? address) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            Interlocked.Decrement(ref gate._pendingTotal);
            if (address is not null) OpenCounts.Leave(gate._pending, address);
        }
    }
}
