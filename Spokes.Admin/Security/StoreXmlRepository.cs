using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Actors.Access;

namespace Spokes.Admin.Security;

/// <summary>
/// ASP.NET Core data protection's key repository on the cluster's store (<see cref="IConsoleKeyStore"/>): every node
/// reads the same key ring, so a cookie, an antiforgery token or a circuit made on one node is good on another
/// (no sticky sessions). Keys are made by <see cref="ConsoleKeyRing"/> ahead of need; a creation that lost the race
/// to another node fails here (compare-and-set on the number of keys) and the winner's key is read instead. Data protection calls this synchronously, rarely
/// (at start and when its key ring refreshes).
/// </summary>
internal sealed class StoreXmlRepository(IServiceProvider services) : IXmlRepository
{
    private int _seen;

    // Resolved at first use: the store's entity exists only once the actor system runs.
    private IConsoleKeyStore Store => services.GetRequiredService<IConsoleKeyStore>();

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var keys = Store.ReadAsync().GetAwaiter().GetResult();
        Volatile.Write(ref _seen, keys.Count);
        return [.. keys.Select(k => XElement.Parse(k.Xml))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        if (!Store.AddAsync(Volatile.Read(ref _seen), friendlyName, element.ToString(SaveOptions.DisableFormatting)).GetAwaiter().GetResult())
            throw new KeyRaceException();
        Interlocked.Increment(ref _seen);
    }
}

/// <summary>Another node added a key to the ring first.</summary>
internal sealed class KeyRaceException() : InvalidOperationException("another node added a console key at the same time");
