using System.Text.Json;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Spokes.Actors.Hosting;

/// <summary>
/// The node's Akka logger: one line per event on standard output — in text as the node's other lines are written
/// (<c>HH:mm:ss info: source message</c>), or one JSON object per line with <c>log.format: json</c> — minus the warning and error Akka.Remote writes each time a CLI client (actor
/// system <c>spokes-cli</c>) hangs up (every admin command ends that way, it is not a fault) and, unless
/// <c>log.akka</c> asks for them, Akka's own informational messages (dozens of sharding and singleton lines on every
/// start). What Spokes' actors log is always shown.
/// </summary>
public sealed class NodeLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public NodeLogger()
    {
        var config = Context.System.Settings.Config;
        var json = config.GetString("spokes.log.format", "text") == "json";
        var akkaLevel = config.GetString("spokes.log.akka", "info") switch
        {
            "debug" => LogLevel.DebugLevel,
            "warning" => LogLevel.WarningLevel,
            _ => LogLevel.InfoLevel,
        };
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (IsClientHangUp(e) || (IsAkkas(e) && e.LogLevel() < akkaLevel)) return;
            Console.WriteLine(json ? Json(e) : Text(e));
        });
    }

    public static bool IsClientHangUp(LogEvent e) =>
        e is Warning or Error
        && (e.LogSource.Contains("spokes-cli", StringComparison.Ordinal)
            || (e.Message?.ToString()?.Contains("spokes-cli@", StringComparison.Ordinal) ?? false));

    /// <summary>Logged by Akka itself (its classes), not by a Spokes actor.</summary>
    public static bool IsAkkas(LogEvent e) => e.LogClass?.Namespace?.StartsWith("Akka", StringComparison.Ordinal) ?? true;

    /// <summary>The event as ASP.NET Core's single-line console writes its own (local time, level, category, message);
    /// an error's exception follows it, as there.</summary>
    public static string Text(LogEvent e)
    {
        var line = $"{e.Timestamp.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} {e.LogLevel() switch
        {
            LogLevel.DebugLevel => "dbug",
            LogLevel.InfoLevel => "info",
            LogLevel.WarningLevel => "warn",
            _ => "fail",
        }}: {e.LogSource} {e.Message}";
        return e is Error { Cause: { } cause } ? line + " " + cause : line;
    }

    /// <summary>The event as one JSON line, with the keys of ASP.NET Core's JSON console (so both kinds of line parse alike).</summary>
    public static string Json(LogEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("Timestamp", e.Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("LogLevel", e.LogLevel() switch
            {
                LogLevel.DebugLevel => "Debug",
                LogLevel.InfoLevel => "Information",
                LogLevel.WarningLevel => "Warning",
                _ => "Error",
            });
            writer.WriteString("Category", e.LogSource);
            writer.WriteString("Message", e.Message?.ToString());
            if (e is Error { Cause: { } cause }) writer.WriteString("Exception", cause.ToString());
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
