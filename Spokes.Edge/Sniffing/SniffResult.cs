namespace Spokes.Edge.Sniffing;

/// <summary>Outcome of a sniffer looking at the first bytes of a connection without consuming them.</summary>
internal enum SniffResult
{
    /// <summary>So far the bytes look right, but more are needed to decide.</summary>
    NotEnoughData,

    /// <summary>The bytes are not this protocol, are malformed, or exceed the size the sniffer will wait for.</summary>
    NotMine,

    /// <summary>A complete, well-formed message was parsed.</summary>
    Found,
}
