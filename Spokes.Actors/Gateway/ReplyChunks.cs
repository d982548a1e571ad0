using System.Collections.Immutable;
using Akka.Actor;
using Spokes.Actors.Entities;
using Spokes.Actors.Serialization;

namespace Spokes.Actors.Gateway;

/// <summary>One part of an answer too large for one remoting message (a listing of 100,000 tokens): the serialized
/// answer's bytes <see cref="Index"/> of <see cref="Count"/>, base64. The CLI asks for the next with
/// <see cref="NextReplyChunk"/> and joins them (docs/architecture.md, "Large answers").</summary>
public sealed record ReplyChunk(string ReplyId, int Index, int Count, string Manifest, string Part) : IWireMessage;

/// <summary>Asks the gateway that sent <see cref="ReplyChunk"/> 0 of <paramref name="ReplyId"/> for part <paramref name="Index"/>.</summary>
public sealed record NextReplyChunk(string ReplyId, int Index) : IWireMessage;

/// <summary>Splits a serialized answer into parts and joins them again.</summary>
public static class ReplyChunks
{
    /// <summary>Bytes of answer per part (base64 makes a message of ~128 KiB, well inside the CLI's 4 MiB frame).</summary>
    public const int PartBytes = 96 * 1024;

    /// <summary>The answer's bytes (the Spokes serializer's JSON) and manifest.</summary>
    public static (byte[] Bytes, string Manifest) Serialize(ActorSystem system, IWireMessage reply)
    {
        var serializer = system.Serialization.FindSerializerFor(reply);
        return (serializer.ToBinary(reply), Akka.Serialization.Serialization.ManifestFor(serializer, reply));
    }

    public static ImmutableArray<ReplyChunk> Split(string replyId, string manifest, byte[] bytes)
    {
        var count = (bytes.Length + PartBytes - 1) / PartBytes;
        return [.. Enumerable.Range(0, count).Select(i => new ReplyChunk(replyId, i, count, manifest,
            Convert.ToBase64String(bytes, i * PartBytes, Math.Min(PartBytes, bytes.Length - i * PartBytes))))];
    }

    public static IWireMessage Join(ActorSystem system, IReadOnlyList<ReplyChunk> parts)
    {
        using var whole = new MemoryStream();
        foreach (var part in parts) whole.Write(Convert.FromBase64String(part.Part));
        return (IWireMessage)system.Serialization.Deserialize(whole.ToArray(), SpokesSerializer.Id, parts[0].Manifest);
    }
}
