using System.Net;
using System.Net.Sockets;

namespace Spokes.Tests.DataPlane.Testbed;

/// <summary>Loopback ports nobody holds right now: the kernel picks one (port 0) and it is released at once.</summary>
internal static class FreePorts
{
    public static int One()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A run of <paramref name="count"/> free ports for <c>portRange</c>, below the ephemeral range so that
    /// outgoing connections do not take them later. The kernel cannot pick a run, so runs are tried at random.
    /// </summary>
    public static int Run(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int begin = Random.Shared.Next(20_000, 32_000 - count);
            if (Enumerable.Range(begin, count).All(IsFree))
            {
                return begin;
            }
        }

        throw new InvalidOperationException($"no run of {count} free ports found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
