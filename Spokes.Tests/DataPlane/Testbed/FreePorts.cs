using System.Net;
using System.Net.Sockets;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>
/// Loopback ports nobody holds right now, for the processes and hosts the tests start. They are taken below Linux's
/// ephemeral range (32768–60999): a port the kernel picked for us there can be taken by any outgoing connection
/// before the node binds it (one such collision once failed every test sharing a testbed). A port is handed out once
/// per test run, so two testbeds starting together never get the same one.
/// </summary>
internal static class FreePorts
{
    private const int First = 20_000;
    private const int End = 32_000;
    private static readonly HashSet<int> HandedOut = [];

    private static readonly string[] LoopbackOnly = ["127.0.0.1"];

    public static int One() => Run(1);

    /// <summary>A port free on every one of <paramref name="hosts"/> (a cluster's nodes use the same ports).</summary>
    public static int One(IReadOnlyList<string> hosts) => Run(1, hosts);

    /// <summary>A run of <paramref name="count"/> free ports (for <c>portRange</c>) on every one of
    /// <paramref name="hosts"/> (127.0.0.1 when none). The kernel cannot pick a run, so runs are tried at random.</summary>
    public static int Run(int count, IReadOnlyList<string>? hosts = null)
    {
        hosts ??= LoopbackOnly;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int begin = Random.Shared.Next(First, End - count);
            lock (HandedOut)
            {
                if (Enumerable.Range(begin, count).Any(HandedOut.Contains) || !Enumerable.Range(begin, count).All(port => hosts.All(host => IsFree(host, port)))) continue;
                HandedOut.UnionWith(Enumerable.Range(begin, count));
                return begin;
            }
        }

        throw new InvalidOperationException($"no run of {count} free ports on {string.Join(", ", hosts)}");
    }

    private static bool IsFree(string host, int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(host), port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
