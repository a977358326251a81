using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Tests.Api;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("1m", 60)]
    [InlineData("5m", 300)]
    [InlineData("90s", 90)]
    [InlineData("60s", 60)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h", 3600)]
    [InlineData("0h2m", 120)]
    [InlineData("2m30s", 150)]
    public void AcceptsDurationsOfAtLeastOneMinute(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
        Assert.Matches(Durations.AtLeastOneMinutePattern, text);
    }

    [Theory]
    [InlineData("30s")]
    [InlineData("59s")]
    [InlineData("0m")]
    [InlineData("0h0m59s")]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 m")]
    [InlineData("1d")]
    [InlineData("-5m")]
    [InlineData("1.5m")]
    public void RejectsEverythingElseBothInSchemaAndInCode(string text)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
        Assert.DoesNotMatch(new Regex(Durations.AtLeastOneMinutePattern), text);
    }

    [Fact]
    public void HugeValuesPassTheSchemaButAreRejectedWithAMessage()
    {
        Assert.Matches(Durations.AtLeastOneMinutePattern, "99999999h");
        Assert.False(Durations.TryParse("99999999h", out _, out var error));
        Assert.Contains("maximum", error);
    }
}
