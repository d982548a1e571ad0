using Microsoft.Extensions.DependencyInjection;
using Spokes.Actors.Access;

namespace Spokes.Tests.Actors.Security;

/// <summary>The console's door events: summed per kind, account and address; a flood is capped, the rest counted.</summary>
public sealed class ConsoleSecurityLogTests
{
    [Fact]
    public void Note_SumsRepeats_CapsDistinctEntries_CountsTheRest()
    {
        var log = new ConsoleSecurityLog(new ServiceCollection().BuildServiceProvider(), TimeProvider.System);
        for (var i = 0; i < 3; i++) log.Note(SecurityKinds.FailedSignIn, "ops@example.com", "192.0.2.1");
        for (var i = 0; i < ConsoleSecurityLog.MaxEntries + 50; i++) log.Note(SecurityKinds.FailedSignIn, $"guess{i}@example.com", "192.0.2.9");
        var taken = log.Take()!;
        Assert.Equal(ConsoleSecurityLog.MaxEntries, taken.Entries.Count);
        Assert.Equal(3, taken.Entries.Single(e => e.Account == "ops@example.com").Count);
        Assert.Equal(51, taken.Others);
        Assert.Null(log.Take());

        var described = new ConsoleSecurityRecorded([taken.Entries[0]], taken.Others, DateTimeOffset.UtcNow, "console").Describe();
        Assert.StartsWith("console: 3 failed sign-in(s) for ops@example.com from 192.0.2.1 (", described);
        Assert.EndsWith("; 51 more", described);
    }
}
