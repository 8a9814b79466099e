using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Durations;

namespace PartialCollector.Core.Tests.Unit;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("5000ms", 5_000_000_0L)]
    [InlineData("5s", 5_000_000_0L)]
    [InlineData("1m30s", 90_000_000_0L)]
    [InlineData("1.5h", 54_000_000_000L)]
    [InlineData("250us", 2_500L)]
    [InlineData("250\u00b5s", 2_500L)]
    [InlineData("1h2m3.5s", 37_235_000_000L)]
    [InlineData("100ns", 1L)]
    [InlineData("0", 0L)]
    [InlineData("-2s", -20_000_000L)]
    public void ParsesGoSyntax(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(ticks), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 s")]
    [InlineData("s")]
    [InlineData("5d")]
    [InlineData(".s")]
    [InlineData("1.2.3s")]
    [InlineData("abc")]
    public void RejectsWhatGoRejects(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData("00:00:05", 5)]
    [InlineData("5s", 5)]
    [InlineData(" 1m ", 60)]
    [InlineData("7d", 604800)]
    public void LenientParsingAlsoAcceptsDotNetSyntax(string text, int seconds)
    {
        Assert.True(GoDuration.TryParseLenient(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Fact]
    public void ConfigurationBindingReadsGoDurationsAndNamesTheKeyOnFailure()
    {
        DurationTypeConverter.Register();
        var good = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["S:Value"] = "1m30s" }).Build();
        Assert.Equal(TimeSpan.FromSeconds(90), good.GetSection("S").Get<Holder>()!.Value);

        var bad = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["S:Value"] = "soon" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => bad.GetSection("S").Get<Holder>());
        Assert.Contains("S:Value", error.Message);
    }

    private sealed class Holder
    {
        public TimeSpan Value { get; set; }
    }
}
