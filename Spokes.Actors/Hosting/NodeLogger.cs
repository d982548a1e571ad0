using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Spokes.Actors.Hosting;

/// <summary>
/// The node's Akka logger: standard output, minus the warning and error Akka.Remote writes each time a CLI
/// client (actor system <c>spokes-cli</c>) hangs up — every admin command ends that way, it is not a fault.
/// </summary>
public sealed class NodeLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public NodeLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (!IsClientHangUp(e)) Console.WriteLine(e.ToString());
        });
    }

    public static bool IsClientHangUp(LogEvent e) =>
        e is Warning or Error
        && (e.LogSource.Contains("spokes-cli", StringComparison.Ordinal)
            || (e.Message?.ToString()?.Contains("spokes-cli@", StringComparison.Ordinal) ?? false));
}
