namespace Spokes.Tunnel.Pumps;

/// <summary>How a relay ended.</summary>
public enum PumpStatus
{
    /// <summary>Both directions reached end of stream and each end was passed on.</summary>
    Success,

    /// <summary>Reading from one side failed (reset, disposed...).</summary>
    InputError,

    /// <summary>Writing, flushing or half-closing one side failed.</summary>
    OutputError,

    /// <summary>The caller's token was canceled.</summary>
    Canceled,

    /// <summary>No byte moved in either direction for the idle timeout.</summary>
    IdleTimeout,
}

/// <summary>Outcome of <see cref="StreamPump.RelayAsync(Stream, Stream, RelayOptions, CancellationToken)"/>.</summary>
/// <param name="Status">The first thing that ended the relay; later failures caused by stopping are not reported.</param>
/// <param name="BytesAToB">Bytes written to b, prefix included.</param>
/// <param name="BytesBToA">Bytes written to a.</param>
/// <param name="Error">The exception behind <see cref="PumpStatus.InputError"/> or <see cref="PumpStatus.OutputError"/>.</param>
public readonly record struct PumpResult(PumpStatus Status, long BytesAToB, long BytesBToA, Exception? Error = null);
