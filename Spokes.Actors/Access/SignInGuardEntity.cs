using Akka.Actor;
using Spokes.Actors.Entities;

namespace Spokes.Actors.Access;

public interface ISignInGuardMessage : IEntityMessage;

/// <summary>How long the attempt must wait (null: it may go on).</summary>
public sealed record CheckSignIn(string EntityId) : ISignInGuardMessage;
public sealed record SignInFailed(string EntityId) : ISignInGuardMessage;
public sealed record SignInSucceeded(string EntityId) : ISignInGuardMessage;
public sealed record SignInVerdict(TimeSpan? RetryAfter) : IWireMessage;

/// <summary>
/// One throttle key (<c>pair:</c>account|address, <c>addr:</c>address, <c>acct:</c>account), sharded so every node of
/// the cluster counts the same failures; held in memory (a node loss forgets the keys it held, acceptable for
/// a throttle) and passivated after <see cref="SignInThrottleState.ForgetAfter"/> without use.
/// </summary>
public sealed class SignInGuardEntity : ReceiveActor
{
    public const string Kind = "signin-guard";
    private SignInThrottleState _state = SignInThrottleState.Empty;

    public SignInGuardEntity(string entityId, TimeProvider time)
    {
        var scope = entityId.StartsWith("pair:", StringComparison.Ordinal) ? ThrottleScope.Pair
            : entityId.StartsWith("addr:", StringComparison.Ordinal) ? ThrottleScope.Address
            : ThrottleScope.Account;
        Receive<CheckSignIn>(_ => Sender.Tell(new SignInVerdict(_state.RetryAfter(time.GetUtcNow()))));
        Receive<SignInFailed>(_ =>
        {
            _state = _state.Fail(scope, time.GetUtcNow());
            Sender.Tell(new SignInVerdict(_state.RetryAfter(time.GetUtcNow())));
        });
        Receive<SignInSucceeded>(_ =>
        {
            _state = SignInThrottleState.Empty;
            Sender.Tell(new SignInVerdict(null));
        });
        Receive<ReceiveTimeout>(_ => Context.Stop(Self));
        Context.SetReceiveTimeout(SignInThrottleState.ForgetAfter + TimeSpan.FromMinutes(1));
    }

    public static Props Props(string entityId, TimeProvider time) => Akka.Actor.Props.Create(() => new SignInGuardEntity(entityId, time));
}
