using System.Collections.Immutable;
using Akka.Actor;

namespace Spokes.Actors.Gateway;

/// <summary>
/// The cluster's front door for the CLI: registered with the cluster-client receptionist on every node
/// under <see cref="Path"/>. It holds no state; each request runs through <see cref="AdminOperations"/>
/// and its answer is piped back to the asker.
/// </summary>
public sealed class AdminGateway : ReceiveActor
{
    public const string Name = "spokes-gateway";
    public const string Path = "/user/" + Name;

    /// <summary>How long the rest of an answer sent in parts is kept for its CLI, and how many such answers at once.</summary>
    private static readonly TimeSpan PartsKept = TimeSpan.FromMinutes(2);
    private const int MaxAnswersInParts = 16;

    private readonly Dictionary<string, (ImmutableArray<ReplyChunk> Parts, DateTime Until)> _inParts = [];

    public AdminGateway(AdminOperations operations, Nodes.NodeReadiness readiness)
    {
        Receive<IAdminRequest>(request =>
        {
            if (AdminOperations.ConsoleOnly(request))
                Sender.Tell(new Entities.Refusal(Entities.ErrorCode.Invalid, $"{request.GetType().Name} is the console's own"));
            else if (!readiness.CanServe)
                Sender.Tell(new Entities.Refusal(Entities.ErrorCode.Unavailable, $"this node does not serve yet: {readiness.Reason}"));
            else
                operations.HandleAsync(request, "cli").PipeTo(Self, Sender, reply => new Answered(reply),
                    ex => new Answered(new Entities.Refusal(Entities.ErrorCode.Failed, $"{request.GetType().Name} failed: {ex.Message}")));
        });
        Receive<Answered>(a => Sender.Tell(InParts(a.Reply)));
        Receive<NextReplyChunk>(n =>
        {
            Sweep();
            if (_inParts.TryGetValue(n.ReplyId, out var kept) && n.Index >= 1 && n.Index < kept.Parts.Length)
            {
                Sender.Tell(kept.Parts[n.Index]);
                if (n.Index == kept.Parts.Length - 1) _inParts.Remove(n.ReplyId);
            }
            else
            {
                Sender.Tell(new Entities.Refusal(Entities.ErrorCode.NotFound, "the rest of this answer is no longer kept; run the command again"));
            }
        });
    }

    /// <summary>The answer itself, or its first part when it is larger than one part (the rest kept for the asker).</summary>
    private Entities.IWireMessage InParts(Entities.IWireMessage reply)
    {
        var (bytes, manifest) = ReplyChunks.Serialize(Context.System, reply);
        if (bytes.Length <= ReplyChunks.PartBytes) return reply;
        Sweep();
        if (_inParts.Count >= MaxAnswersInParts)
            return new Entities.Refusal(Entities.ErrorCode.Unavailable, $"{MaxAnswersInParts} large answers are being fetched from this node; try again shortly");
        var parts = ReplyChunks.Split(Guid.NewGuid().ToString("N"), manifest, bytes);
        _inParts[parts[0].ReplyId] = (parts, DateTime.UtcNow + PartsKept);
        return parts[0];
    }

    private void Sweep()
    {
        foreach (var id in _inParts.Where(p => p.Value.Until < DateTime.UtcNow).Select(p => p.Key).ToList()) _inParts.Remove(id);
    }

    private sealed record Answered(Entities.IWireMessage Reply);

    public static Props Props(AdminOperations operations, Nodes.NodeReadiness readiness) =>
        Akka.Actor.Props.Create(() => new AdminGateway(operations, readiness));
}
