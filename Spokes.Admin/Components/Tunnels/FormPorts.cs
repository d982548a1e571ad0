using System.Globalization;

namespace Spokes.Admin.Components.Tunnels;

/// <summary>Port fields of the rule forms: empty means "none", anything else must be a number.</summary>
public static class FormPorts
{
    public static (int? Port, string? Problem) Parse(string text, string label) =>
        string.IsNullOrWhiteSpace(text) ? (null, null)
        : int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? (port, null)
        : (null, $"{label}: '{text.Trim()}' is not a number");

    /// <summary>Splits the "host:port" a lease shows back into the form's two fields.</summary>
    public static (string Host, string Port) Split(string destination) =>
        destination.LastIndexOf(':') is var i and > 0 ? (destination[..i], destination[(i + 1)..]) : (destination, "");
}
