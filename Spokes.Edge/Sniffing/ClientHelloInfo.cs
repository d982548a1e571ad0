namespace Spokes.Edge.Sniffing;

/// <summary>What the edge needs from a TLS ClientHello to route the connection.</summary>
/// <param name="ServerName">SNI host name, lowercase, without a trailing dot; null when the client sent none.</param>
/// <param name="ApplicationProtocols">ALPN protocol names in the client's order; empty when the client sent none.</param>
/// <param name="WireLength">Bytes of TLS records, from the start of the connection, that carry the ClientHello.</param>
internal sealed record ClientHelloInfo(string? ServerName, IReadOnlyList<string> ApplicationProtocols, int WireLength)
{
    public bool Offers(string protocol) => ApplicationProtocols.Contains(protocol, StringComparer.Ordinal);
}
