using Akka.Actor;
using Akka.Event;
using Spokes.Actors.Security;

namespace Spokes.Actors.Access;

/// <summary>The console's sign-in throttle, cluster-wide (issue: several nodes behind a balancer without sticky
/// sessions share it): an attempt waits for the longest of its three keys. Used for passwords, second-factor
/// codes and the first-run secret.</summary>
public interface ISignInGuard
{
    /// <summary>How long this account from this address must wait before trying, or null.</summary>
    Task<TimeSpan?> RetryAfterAsync(string account, string address);
    Task FailedAsync(string account, string address);
    Task SucceededAsync(string account, string address);
}

public sealed class SignInGuard(IActorRef guards, ILoggingAdapter log) : ISignInGuard
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    public async Task<TimeSpan?> RetryAfterAsync(string account, string address)
    {
        var verdicts = await Task.WhenAll(Keys(account, address).Select(k => AskAsync(new CheckSignIn(k))));
        return verdicts.Max();
    }

    public Task FailedAsync(string account, string address) =>
        Task.WhenAll(Keys(account, address).Select(k => AskAsync(new SignInFailed(k))));

    public async Task SucceededAsync(string account, string address)
    {
        var (pair, _, acct) = KeysOf(account, address);
        await Task.WhenAll(AskAsync(new SignInSucceeded(pair)), AskAsync(new SignInSucceeded(acct)));
    }

    private async Task<TimeSpan?> AskAsync(ISignInGuardMessage message)
    {
        try
        {
            return (await guards.Ask<SignInVerdict>(message, AskTimeout)).RetryAfter;
        }
        catch (AskTimeoutException)
        {
            // Its shard is moving after a node loss: let the attempt through (hashing is bounded anyway).
            log.Warning("sign-in throttle did not answer in time; not throttling this attempt");
            return null;
        }
    }

    private static string[] Keys(string account, string address)
    {
        var (pair, addr, acct) = KeysOf(account, address);
        return [pair, addr, acct];
    }

    /// <summary>Keys are digests, so the key space stays small whatever was typed.</summary>
    private static (string Pair, string Address, string Account) KeysOf(string account, string address)
    {
        account = account.Trim().ToLowerInvariant();
        return ("pair:" + SecretValues.DeriveId("pair", account + "|" + address), "addr:" + SecretValues.DeriveId("addr", address),
            "acct:" + SecretValues.DeriveId("acct", account));
    }
}
