using Spokes.Cli.Output;

namespace Spokes.Tests.Cli.Output;

public sealed class FormatsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("12h", 12 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("90s", 90)]
    public void ParseSince_Durations_BackFromNow(string text, int seconds) =>
        Assert.Equal(Now.AddSeconds(-seconds), Formats.ParseSince(text, Now));

    [Theory]
    [InlineData("99999999d")]
    [InlineData("9223372036854775806s")]
    public void ParseSince_DurationBeyondYearOne_MeansEverything_NotAnOverflow(string text) =>
        Assert.Equal(DateTimeOffset.MinValue, Formats.ParseSince(text, Now));

    [Fact]
    public void ParseSince_Garbage_BadArguments() =>
        Assert.Equal(2, Assert.Throws<CliException>(() => Formats.ParseSince("last tuesday", Now)).ExitCode);
}

public sealed class AsciiTableTests
{
    [Fact]
    public void Render_ControlCharactersInACell_WrittenAsEscapes_NeverRaw()
    {
        var table = AsciiTable.Render(["User"], [["evil\u001b[2J\u001b]0;owned\u0007\nname"]], "1 user");

        Assert.DoesNotContain('\u001b', table);
        Assert.DoesNotContain('\u0007', table);
        Assert.Contains("evil\\u001b[2J\\u001b]0;owned\\u0007\\u000aname", table);
        Assert.Equal(6, table.Split('\n').Length);
    }
}
