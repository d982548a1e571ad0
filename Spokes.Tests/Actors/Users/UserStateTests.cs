using Spokes.Actors.Entities;
using Spokes.Actors.Users;

namespace Spokes.Tests.Actors.Users;

public sealed class UserStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Id = "u1";

    private static UserState Created(bool twoFactor = false, string origin = UserOrigin.AdminCli) =>
        Run(UserState.Empty, new CreateUser(Id, "ada@example.com", "Ada", origin, "pbkdf2-sha256$1$a$b", twoFactor, "test"));

    /// <summary>Decides and applies, as the entity does; fails when the command was refused.</summary>
    private static UserState Run(UserState state, IUserMessage command)
    {
        var decision = state.Decide(command, Now);
        Assert.IsNotType<Refusal>(decision.Reply);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    private static Refusal Refused(UserState state, IUserMessage command)
    {
        var decision = state.Decide(command, Now);
        Assert.Empty(decision.Events);
        return Assert.IsType<Refusal>(decision.Reply);
    }

    [Fact]
    public void CreateUser_New_RecordsEverythingGiven()
    {
        var user = Created(twoFactor: true);
        Assert.Equal(Id, user.Id);
        Assert.Equal("ada@example.com", user.Email);
        Assert.Equal("Ada", user.FullName);
        Assert.True(user.TwoFactor);
        Assert.True(user.TwoFactorPending);
        Assert.Equal(Now, user.Created);
    }

    [Fact]
    public void CreateUser_DuplicateEmail_RefusedWithConflict()
    {
        var refusal = Refused(Created(), new CreateUser(Id, "ada@example.com", "Other", UserOrigin.AdminCli, "h", false, "test"));
        Assert.Equal(ErrorCode.Conflict, refusal.Code);
    }

    [Fact]
    public void AnyCommand_UnknownUser_RefusedWithNotFound()
    {
        Assert.Equal(ErrorCode.NotFound, Refused(UserState.Empty, new GetUser(Id)).Code);
        Assert.Equal(ErrorCode.NotFound, Refused(UserState.Empty, new ChangePassword(Id, "h", "test")).Code);
        Assert.Equal(ErrorCode.NotFound, Refused(UserState.Empty, new SetTwoFactor(Id, TwoFactorChange.Enable, "test")).Code);
    }

    [Fact]
    public void EnsureTunnelUser_Existing_AnswersWithoutEvents()
    {
        var user = Run(UserState.Empty, new EnsureTunnelUser(Id, "agent-1", "test"));
        Assert.Equal(UserOrigin.TunnelRegistration, user.Origin);
        var again = user.Decide(new EnsureTunnelUser(Id, "agent-1", "test"), Now);
        Assert.Empty(again.Events);
        Assert.Null(again.Reply);
    }

    [Fact]
    public void ChangePassword_Admin_ReplacesHashAndBumpsStamp()
    {
        var user = Run(Created(), new ChangePassword(Id, "pbkdf2-sha256$1$c$d", "test"));
        Assert.Equal("pbkdf2-sha256$1$c$d", user.PasswordHash);
        Assert.Equal(1, user.SecurityStamp);
    }

    [Fact]
    public void EndSessions_AndEveryTwoFactorChange_BumpTheStamp_TunnelUserRefused()
    {
        var user = Run(Created(), new EndSessions(Id, "test"));
        Assert.Equal(1, user.SecurityStamp);
        user = Run(user, new SetTwoFactor(Id, TwoFactorChange.Enable, "test"));
        user = Run(user, new SetTwoFactor(Id, TwoFactorChange.Reset, "test"));
        user = Run(user, new SetTwoFactor(Id, TwoFactorChange.Disable, "test"));
        Assert.Equal(4, user.SecurityStamp);
        var tunnelUser = Run(UserState.Empty, new EnsureTunnelUser(Id, "agent-1", "test"));
        Assert.Equal(ErrorCode.Invalid, Refused(tunnelUser, new EndSessions(Id, "test")).Code);
    }

    [Fact]
    public void ChangePassword_TunnelUser_Refused()
    {
        var user = Run(UserState.Empty, new EnsureTunnelUser(Id, "agent-1", "test"));
        Assert.Equal(ErrorCode.Invalid, Refused(user, new ChangePassword(Id, "h", "test")).Code);
    }

    [Fact]
    public void TwoFactor_EnableEnrolResetDisable_FollowsLifecycle()
    {
        var user = Run(Created(), new SetTwoFactor(Id, TwoFactorChange.Enable, "test"));
        Assert.True(user.TwoFactorPending);
        user = Run(user, new CompleteTwoFactorEnrolment(Id, "sealed", 100, "test"));
        Assert.False(user.TwoFactorPending);
        Assert.Equal(100, user.LastTotpStep);
        Assert.Equal(ErrorCode.Conflict, Refused(user, new CompleteTwoFactorEnrolment(Id, "other", 101, "test")).Code);
        user = Run(user, new SetTwoFactor(Id, TwoFactorChange.Reset, "test"));
        Assert.True(user.TwoFactor);
        Assert.Null(user.SealedTotpSecret);
        user = Run(user, new SetTwoFactor(Id, TwoFactorChange.Disable, "test"));
        Assert.False(user.TwoFactor);
    }

    [Fact]
    public void AcceptTotpStep_SameOrEarlierStep_RefusedAsReplay()
    {
        var user = Run(Created(twoFactor: true), new CompleteTwoFactorEnrolment(Id, "sealed", 100, "test"));
        user = Run(user, new AcceptTotpStep(Id, 101, "test"));
        Assert.Equal(101, user.LastTotpStep);
        Assert.Equal(ErrorCode.Conflict, Refused(user, new AcceptTotpStep(Id, 101, "test")).Code);
        Assert.Equal(ErrorCode.Conflict, Refused(user, new AcceptTotpStep(Id, 99, "test")).Code);
        Assert.Equal(102, Run(user, new AcceptTotpStep(Id, 102, "test")).LastTotpStep);
    }

    [Fact]
    public void Describe_PasswordChanged_NeverContainsTheHash()
    {
        var e = new PasswordChanged(Id, Now, "test") { PasswordHash = "pbkdf2-sha256$1$salt$secret" };
        Assert.DoesNotContain("secret", e.Describe());
    }

    [Fact]
    public void Roles_CliAndSetupAdminsAreOwners_TheConsoleChooses()
    {
        Assert.Equal(UserRole.Owner, Created().Role);
        Assert.Equal(UserRole.Owner, Created(origin: UserOrigin.Setup).Role);
        var admin = Run(UserState.Empty, new CreateUser(Id, "ada@example.com", "", UserOrigin.Console, "h", false, "test", UserRole.Admin));
        Assert.Equal(UserRole.Admin, admin.Role);
        Assert.False(admin.IsOwner);
        // Events written before roles existed carry none: owner, as their admins always could do everything.
        var old = new UserCreated(Id, "old@example.com", "", UserOrigin.AdminCli, "h", false, Now, "cli");
        Assert.True(UserState.Empty.Apply(old).IsOwner);
    }

    [Fact]
    public void Disable_EndsSessionsAndIsUndone_OwnersAndTunnelUsersRefused()
    {
        var admin = Run(Created(), new SetUserRole(Id, UserRole.Admin, "test"));
        var disabled = Run(admin, new SetUserDisabled(Id, true, "test"));
        Assert.True(disabled.Disabled);
        Assert.Equal(admin.SecurityStamp + 1, disabled.SecurityStamp);
        Assert.Empty(disabled.Decide(new SetUserDisabled(Id, true, "test"), Now).Events);
        Assert.Equal(ErrorCode.Conflict, Refused(disabled, new SetUserRole(Id, UserRole.Owner, "test")).Code);
        Assert.False(Run(disabled, new SetUserDisabled(Id, false, "test")).Disabled);

        Assert.Equal(ErrorCode.Conflict, Refused(Created(), new SetUserDisabled(Id, true, "test")).Code);
        var tunnelUser = Run(UserState.Empty, new EnsureTunnelUser(Id, "agent-1", "test"));
        Assert.Equal(ErrorCode.Invalid, Refused(tunnelUser, new SetUserDisabled(Id, true, "test")).Code);
        Assert.Equal(ErrorCode.Invalid, Refused(tunnelUser, new SetUserRole(Id, UserRole.Owner, "test")).Code);
    }
}
