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
}
