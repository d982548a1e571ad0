using Spokes.Actors.Configuration;

namespace Spokes.Actors.Gateway;

/// <summary>The tunnel options in force on this node. They start from config.json and may change at run
/// time, so readers take <see cref="Current"/> each time instead of caching it.</summary>
public sealed class TunnelOptionsSource(TunOptionsConfig initial, PortRangeConfig range)
{
    private volatile TunOptionsConfig _current = initial;
    public TunOptionsConfig Current => _current;
    public PortRangeConfig Range { get; } = range;
    public void Replace(TunOptionsConfig options) => _current = options;
}
