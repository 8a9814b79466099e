using Microsoft.Extensions.Configuration;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// Where the Exporter's settings live: defaults in <see cref="PartialExporterOptions"/> only, its OTLP endpoints in its
/// own appsettings.json (what <c>dotnet run</c>, a container, the AppHost and the test hosts read), and the README's
/// tables agreeing with the class.
/// </summary>
public sealed class SettingsTests
{
    [Fact]
    public void AppSettingsGiveTheOtlpEndpointsAndRestateNoDefault()
    {
        var json = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        Assert.Equal("http://0.0.0.0:4317", json["Kestrel:Endpoints:OtlpGrpc:Url"]);
        Assert.Equal("Http2", json["Kestrel:Endpoints:OtlpGrpc:Protocols"]);
        Assert.Equal("http://0.0.0.0:4318", json["Kestrel:Endpoints:OtlpHttp:Url"]);
        Assert.False(json.GetSection(PartialExporterOptions.Section).Exists(), "defaults live in PartialExporterOptions; appsettings.json holds overrides only");
    }

    [Fact]
    public void TheReadmesDefaultsAreTheOptionsDefaults()
    {
        var (documented, wrong) = DocumentedDefaults.Check<PartialExporterOptions>(PartialExporterOptions.Section);

        Assert.Empty(wrong);
        Assert.True(documented.Count >= 10, $"only {documented.Count} README defaults found: {string.Join(", ", documented)}");
    }
}
