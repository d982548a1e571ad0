namespace Spokes.Edge;
