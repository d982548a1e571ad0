namespace Spokes.Actors;
