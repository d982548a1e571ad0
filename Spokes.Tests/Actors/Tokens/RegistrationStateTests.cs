using Spokes.Actors.Entities;
using Spokes.Actors.Tokens;

namespace Spokes.Tests.Actors.Tokens;

public sealed class RegistrationStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static RegistrationState Run(RegistrationState state, IRegistrationMessage command) =>
        state.Decide(command, Now).Events.Aggregate(state, (s, e) => s.Apply(e));

    [Fact]
    public void CreateRegistration_Existing_RefusedWithConflict()
    {
        var reg = Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "beta", "test"));
        Assert.True(reg.Active);
        var decision = reg.Decide(new CreateRegistration("r1", "sealed", "again", "test"), Now);
        Assert.Equal(ErrorCode.Conflict, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void SetRegistrationActive_Unknown_RefusedWithNotFound()
    {
        var decision = RegistrationState.Empty.Decide(new SetRegistrationActive("r1", false, "test"), Now);
        Assert.Equal(ErrorCode.NotFound, Assert.IsType<Refusal>(decision.Reply).Code);
    }

    [Fact]
    public void SetRegistrationActive_SameValue_NoEvent()
    {
        var reg = Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "beta", "test"));
        Assert.Empty(reg.Decide(new SetRegistrationActive("r1", true, "test"), Now).Events);
        var off = Run(reg, new SetRegistrationActive("r1", false, "test"));
        Assert.False(off.Active);
        Assert.Empty(off.Decide(new SetRegistrationActive("r1", false, "test"), Now).Events);
        Assert.Equal("new", Run(off, new SetRegistrationDescription("r1", "new", "test")).Description);
    }

    [Fact]
    public void UseRegistration_CountsUses_UntilTheLimit()
    {
        var reg = Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "two agents", "test", MaxUses: 2));
        reg = Run(Run(reg, new UseRegistration("r1", "agent a")), new UseRegistration("r1", "agent b"));
        Assert.Equal(2, reg.Uses);
        var third = reg.Decide(new UseRegistration("r1", "agent c"), Now);
        Assert.Empty(third.Events);
        Assert.Contains("used up", Assert.IsType<Refusal>(third.Reply).Message);
    }

    [Fact]
    public void UseRegistration_AtOrAfterExpiry_Refused_BeforeItCounted()
    {
        var reg = Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "today", "test", Expires: Now.AddHours(1)));
        Assert.Single(reg.Decide(new UseRegistration("r1", "agent"), Now.AddMinutes(59)).Events);
        var late = reg.Decide(new UseRegistration("r1", "agent"), Now.AddHours(1));
        Assert.Empty(late.Events);
        Assert.Equal(ErrorCode.Unauthorized, Assert.IsType<Refusal>(late.Reply).Code);
    }

    [Fact]
    public void UseRegistration_Inactive_Refused()
    {
        var reg = Run(Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "", "test")), new SetRegistrationActive("r1", false, "test"));
        Assert.Empty(reg.Decide(new UseRegistration("r1", "agent"), Now).Events);
        Assert.Equal(0, Run(RegistrationState.Empty, new CreateRegistration("r1", "sealed", "", "test")).Uses);
    }
}
