using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace Spokes.Tests.Actors.Serialization;

/// <summary>Takes the place of the default JSON serializer (identifier 1) in tests that run with
/// <c>serialize-messages = on</c>: Akka's own local messages and an actor's private messages pass through
/// untouched (a node never sends them over the wire), and every Spokes type that reached this fallback
/// is noted, because in a node it would have been refused.</summary>
public sealed class RecordingJsonSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public static readonly ConcurrentDictionary<Type, byte> SpokesTypesSeen = new();
    private static readonly ConcurrentDictionary<long, object> InFlight = new();
    private static long _next;

    public RecordingJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : this(system)
    {
        _ = settings;
    }

    public override int Identifier => 1;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        if (obj.GetType().Namespace?.StartsWith("Spokes.", StringComparison.Ordinal) == true)
            SpokesTypesSeen.TryAdd(obj.GetType(), 0);
        var key = Interlocked.Increment(ref _next);
        InFlight[key] = obj;
        return BitConverter.GetBytes(key);
    }

    public override object FromBinary(byte[] bytes, Type? type) =>
        InFlight.TryRemove(BitConverter.ToInt64(bytes), out var obj) ? obj : throw new InvalidOperationException("unknown key");
}
