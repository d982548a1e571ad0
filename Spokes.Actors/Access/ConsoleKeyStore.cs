using Akka.Actor;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;

namespace Spokes.Actors.Access;

/// <summary>The console's data-protection keys in the store, sealed (a database copy alone does not open a session
/// cookie). <see cref="AddAsync"/> is compare-and-set on the number of keys.</summary>
public interface IConsoleKeyStore
{
    Task<IReadOnlyList<(string FriendlyName, string Xml)>> ReadAsync();

    /// <summary>False when the ring no longer has <paramref name="expectedCount"/> keys (another node added one).</summary>
    Task<bool> AddAsync(int expectedCount, string friendlyName, string xml);
}

public sealed class ConsoleKeyStore(IActorRef keys, SecretBox secrets) : IConsoleKeyStore
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<(string FriendlyName, string Xml)>> ReadAsync()
    {
        var reply = await keys.Ask<ConsoleKeysReply>(new GetConsoleKeys(ConsoleKeysEntity.RingId), Timeout);
        return [.. reply.Keys.Select(k => (k.FriendlyName, secrets.Open(k.SealedXml)))];
    }

    public async Task<bool> AddAsync(int expectedCount, string friendlyName, string xml)
    {
        var reply = await keys.Ask<IWireMessage>(new AddConsoleKey(ConsoleKeysEntity.RingId, expectedCount, friendlyName, secrets.Seal(xml), "node"),
            Timeout);
        return reply is ConsoleKeysReply;
    }
}
