namespace Spokes.Edge.Sniffing;

/// <summary>The parts of an HTTP/1.x request head the edge routes on.</summary>
/// <param name="Method">Request method as sent (a token).</param>
/// <param name="Target">Request target as sent (origin, absolute, authority or asterisk form).</param>
/// <param name="Version">"HTTP/1.0" or "HTTP/1.1".</param>
/// <param name="Host">Host, lowercase, port stripped (IPv6 literals keep their brackets); from an absolute-form target when there is one, else the Host header; null when absent.</param>
/// <param name="Upgrade">Upgrade header value, or null.</param>
/// <param name="Connection">Connection header value, or null.</param>
/// <param name="HeadLength">Bytes of the request line and headers, final empty line included.</param>
internal sealed record HttpRequestHead(
    string Method,
    string Target,
    string Version,
    string? Host,
    string? Upgrade,
    string? Connection,
    int HeadLength)
{
    /// <summary>True when the Connection header lists the "upgrade" option and an Upgrade header is present.</summary>
    public bool IsUpgrade => Upgrade is not null && Connection is not null
        && Connection.Split(',').Any(o => o.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase));
}
