using Microsoft.Extensions.Configuration;
using PartialCollector.TestSupport;

namespace PartialCollector.LiveView.Tests;

/// <summary>Where the live view's settings live: defaults in <see cref="LiveViewOptions"/> only, its port in its own appsettings.json.</summary>
public sealed class SettingsTests
{
    [Fact]
    public void AppSettingsGiveThePortRestateNoDefaultAndTheReadmeAgrees()
    {
        var json = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        var (documented, wrong) = DocumentedDefaults.Check<LiveViewOptions>(LiveViewOptions.Section);

        Assert.Equal("http://0.0.0.0:8082", json["Kestrel:Endpoints:Http:Url"]);
        Assert.False(json.GetSection(LiveViewOptions.Section).Exists(), "defaults live in LiveViewOptions; appsettings.json holds overrides only");
        Assert.Empty(wrong);
        Assert.Equal(2, documented.Count);
    }
}
