namespace Spokes.Tunnel;
