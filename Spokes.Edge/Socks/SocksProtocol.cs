using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Spokes.Edge.Socks;

/// <summary>SOCKS5 reply codes (RFC 1928 §6) the entry point sends.</summary>
public enum SocksReply : byte
{
    Succeeded = 0x00,
    GeneralFailure = 0x01,
    NotAllowed = 0x02,
    NetworkUnreachable = 0x03,
    HostUnreachable = 0x04,
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
}

/// <summary>A client's request: its command and destination, by name (<see cref="Host"/>) or by address.</summary>
public sealed record SocksRequest(byte Command, string? Host, IPAddress? Address, int Port)
{
    public const byte Connect = 0x01;

    public string Destination => $"{Host ?? Address?.ToString()}:{Port}";
}

/// <summary>
/// The three messages a SOCKS5 client sends before its bytes (RFC 1928 greeting and request, RFC 1929
/// username/password), read exactly by their declared lengths so nothing of what follows is consumed, whether
/// they come whole or one byte at a time. Each is bounded by construction (at most 257, 513 and 262 bytes); the
/// caller bounds the time. Null means the client broke the protocol or went away: close without a reply.
/// </summary>
public static class SocksProtocol
{
    public const byte Version = 0x05;
    public const byte UserPassword = 0x02;
    public const byte NoAcceptableMethod = 0xFF;
    private const byte AuthVersion = 0x01;

    /// <summary>The methods the client offers, or null when it is not SOCKS5.</summary>
    public static async ValueTask<byte[]?> ReadGreetingAsync(PipeReader input, CancellationToken ct)
    {
        if (await ReadAsync(input, 2, ct) is not [Version, var count and > 0]) return null;
        return await ReadAsync(input, count, ct);
    }

    /// <summary>Username and password (RFC 1929), or null when malformed.</summary>
    public static async ValueTask<(string User, string Password)?> ReadCredentialsAsync(PipeReader input, CancellationToken ct)
    {
        if (await ReadAsync(input, 2, ct) is not [AuthVersion, var userLength and > 0]) return null;
        if (await ReadAsync(input, userLength + 1, ct) is not { } user || user[^1] == 0) return null;
        if (await ReadAsync(input, user[^1], ct) is not { } password) return null;
        return (Encoding.UTF8.GetString(user, 0, userLength), Encoding.UTF8.GetString(password));
    }

    /// <summary>The request, or null when malformed. An unknown address type is returned as a request with neither
    /// host nor address (answer <see cref="SocksReply.AddressTypeNotSupported"/>).</summary>
    public static async ValueTask<SocksRequest?> ReadRequestAsync(PipeReader input, CancellationToken ct)
    {
        if (await ReadAsync(input, 4, ct) is not [Version, var command, 0x00, var type]) return null;
        string? host = null;
        IPAddress? address = null;
        switch (type)
        {
            case 0x01 when await ReadAsync(input, 4, ct) is { } v4:
                address = new IPAddress(v4);
                break;
            case 0x04 when await ReadAsync(input, 16, ct) is { } v6:
                address = new IPAddress(v6);
                break;
            case 0x03 when await ReadAsync(input, 1, ct) is [var length and > 0] && await ReadAsync(input, length, ct) is { } name:
                host = Encoding.ASCII.GetString(name);
                if (host.Any(c => c <= ' ' || c >= 0x7F)) return null;
                if (IPAddress.TryParse(host, out var literal)) (host, address) = (null, literal);
                break;
            case 0x01 or 0x03 or 0x04:
                return null;
            default:
                return new SocksRequest(command, null, null, 0);
        }
        if (await ReadAsync(input, 2, ct) is not [var high, var low]) return null;
        return new SocksRequest(command, host, address, high << 8 | low);
    }

    public static ValueTask<FlushResult> WriteMethodAsync(PipeWriter output, byte method) => output.WriteAsync(new[] { Version, method });

    public static ValueTask<FlushResult> WriteAuthResultAsync(PipeWriter output, bool ok) =>
        output.WriteAsync(new[] { AuthVersion, ok ? (byte)0x00 : (byte)0x01 });

    /// <summary>The reply to a request; <paramref name="bound"/> is the address the node connected from (zeros when
    /// the destination is a tunnel).</summary>
    public static ValueTask<FlushResult> WriteReplyAsync(PipeWriter output, SocksReply reply, IPEndPoint? bound = null)
    {
        var address = bound?.Address ?? IPAddress.Any;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var message = new byte[6 + bytes.Length];
        message[0] = Version;
        message[1] = (byte)reply;
        message[3] = address.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)0x04 : (byte)0x01;
        bytes.CopyTo(message, 4);
        var port = bound?.Port ?? 0;
        message[^2] = (byte)(port >> 8);
        message[^1] = (byte)port;
        return output.WriteAsync(message);
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or null when the input ended first.</summary>
    private static async ValueTask<byte[]?> ReadAsync(PipeReader input, int count, CancellationToken ct)
    {
        var read = await input.ReadAtLeastAsync(count, ct);
        var buffer = read.Buffer;
        if (buffer.Length < count)
        {
            input.AdvanceTo(buffer.End);
            return null;
        }
        var bytes = buffer.Slice(0, count).ToArray();
        input.AdvanceTo(buffer.GetPosition(count));
        return bytes;
    }
}
