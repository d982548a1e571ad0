namespace Spokes.Admin;
