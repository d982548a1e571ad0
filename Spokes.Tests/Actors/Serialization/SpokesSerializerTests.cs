using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Spokes.Actors.Serialization;
using Xunit.Abstractions;

namespace Spokes.Tests.Actors.Serialization;

public sealed class SpokesSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public SpokesSerializerTests(ITestOutputHelper output) : base(SpokesTestConfig.Create(), "serialization", output) { }

    public static IEnumerable<object[]> WireTypes() => WireRegistry.ManifestByType.Select(e => new object[] { e.Value });

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void WireType_Sample_RoundTripsThroughTheBoundSerializer(string manifest)
    {
        var type = WireRegistry.TypeByManifest[manifest];
        var sample = SampleBuilder.Build(type);
        var serialization = Sys.Serialization;
        var serializer = serialization.FindSerializerFor(sample);
        Assert.IsType<SpokesSerializer>(serializer);
        Assert.Equal(manifest, Akka.Serialization.Serialization.ManifestFor(serializer, sample));

        var bytes = serializer.ToBinary(sample);
        var back = serialization.Deserialize(bytes, serializer.Identifier, manifest);
        Assert.IsType(type, back);
        // Records holding immutable collections do not compare by value: compare the canonical bytes,
        // and the property values one by one.
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(serializer.ToBinary(back)));
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            Assert.True(SampleBuilder.Same(property.GetValue(sample), property.GetValue(back)),
                $"{type.Name}.{property.Name} did not survive the round trip");
    }

    [Fact]
    public void WireRegistry_Manifests_AreUniqueAndEveryWireTypeIsRegistered()
    {
        Assert.Equal(WireRegistry.TypeByManifest.Count, WireRegistry.ManifestByType.Count);
        var wireTypes = typeof(Spokes.Actors.Entities.IWireMessage).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(Spokes.Actors.Entities.IWireMessage).IsAssignableFrom(t));
        Assert.All(wireTypes, t => Assert.True(WireRegistry.ManifestByType.ContainsKey(t), $"{t.FullName} has no manifest"));
    }

    [Fact]
    public void FromBinary_UnknownManifest_Refused()
    {
        var serializer = (SpokesSerializer)Sys.Serialization.FindSerializerForType(typeof(Spokes.Actors.Users.UserState));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "System.Object"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), ""));
    }

    [Fact]
    public void ToBinary_UnregisteredType_Refused()
    {
        var serializer = (SpokesSerializer)Sys.Serialization.FindSerializerForType(typeof(Spokes.Actors.Users.UserState));
        Assert.Throws<SerializationException>(() => serializer.ToBinary(new NotOnTheWire("x")));
        Assert.Throws<SerializationException>(() => serializer.Manifest(new NotOnTheWire("x")));
    }

    [Fact]
    public void RefusingSerializer_AnyPayload_RefusedBothWays()
    {
        var fallback = Sys.Serialization.FindSerializerFor(new NotOnTheWire("x"));
        Assert.IsType<RefusingSerializer>(fallback);
        Assert.Throws<SerializationException>(() => fallback.ToBinary(new NotOnTheWire("x")));
        var json = """{"$type":"System.IO.FileInfo, System.IO.FileSystem","fileName":"/etc/passwd"}"""u8.ToArray();
        Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(json, 1, typeof(object)));
        Assert.Throws<SerializationException>(() => fallback.FromBinary(json, null));
    }

    private sealed record NotOnTheWire(string Value);
}

/// <summary>Builds a sample of a wire type with every property set to a non-default value, so a property
/// lost on the way back is noticed.</summary>
internal static class SampleBuilder
{
    private static readonly DateTimeOffset At = new(2026, 5, 17, 8, 30, 15, TimeSpan.Zero);

    public static object Build(Type type, int depth = 0)
    {
        if (type == typeof(string)) return "s" + depth;
        if (type == typeof(int)) return 42;
        if (type == typeof(long)) return 4242L;
        if (type == typeof(double)) return 4.25;
        if (type == typeof(bool)) return true;
        if (type == typeof(DateTimeOffset)) return At;
        if (Nullable.GetUnderlyingType(type) is { } inner) return Build(inner, depth);
        if (type.IsEnum) return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1)!;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableList<>))
            return ImmutableListOf(type.GetGenericArguments()[0], depth);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableDictionary<,>))
        {
            var kv = type.GetGenericArguments();
            var empty = type.GetField("Empty")!.GetValue(null)!;
            return type.GetMethod("Add")!.Invoke(empty, [Build(kv[0], depth + 1), Build(kv[1], depth + 1)])!;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableSortedSet<>))
            return typeof(ImmutableSortedSet).GetMethods().First(m => m.Name == "Create" && m.GetParameters().Length == 1 &&
                    m.GetParameters()[0].ParameterType.IsArray)
                .MakeGenericMethod(type.GetGenericArguments()[0])
                .Invoke(null, [ArrayOf(type.GetGenericArguments()[0], depth)])!;
        if (type.IsArray) return ArrayOf(type.GetElementType()!, depth);
        if (depth > 6) throw new InvalidOperationException($"sample of {type} nests too deep");

        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => Build(p.ParameterType, depth + 1)).ToArray();
        var value = ctor.Invoke(args);
        var fromCtor = ctor.GetParameters().Select(p => p.Name!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.SetMethod is { IsPublic: true } && !fromCtor.Contains(property.Name))
                property.SetValue(value, Build(property.PropertyType, depth + 1));
        return value;
    }

    private static Array ArrayOf(Type element, int depth)
    {
        var array = Array.CreateInstance(element, 1);
        array.SetValue(Build(element, depth + 1), 0);
        return array;
    }

    private static object ImmutableListOf(Type element, int depth) =>
        typeof(ImmutableList).GetMethods().First(m => m.Name == "Create" && m.GetParameters().Length == 1 &&
                m.GetParameters()[0].ParameterType.IsArray)
            .MakeGenericMethod(element).Invoke(null, [ArrayOf(element, depth)])!;

    /// <summary>Value equality that looks into collections.</summary>
    public static bool Same(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is string || a.GetType().IsValueType) return a.Equals(b);
        if (a is IEnumerable ea && b is IEnumerable eb)
        {
            var la = ea.Cast<object?>().ToList();
            var lb = eb.Cast<object?>().ToList();
            return la.Count == lb.Count && Enumerable.Range(0, la.Count).All(i => Same(la[i], lb[i]));
        }
        if (a.GetType() != b.GetType()) return false;
        return a.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .All(p => Same(p.GetValue(a), p.GetValue(b)));
    }
}
