using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>
/// Where the Receiver's settings live: defaults in <see cref="PartialReceiverOptions"/> only, its port in its own
/// appsettings.json, and the README's tables agreeing with the class.
/// </summary>
public sealed class SettingsTests
{
    [Fact]
    public void AppSettingsGiveThePortAndRestateNoDefault()
    {
        var json = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        Assert.Equal("http://0.0.0.0:8081", json["Kestrel:Endpoints:Http:Url"]);
        Assert.False(json.GetSection(PartialReceiverOptions.Section).Exists(), "defaults live in PartialReceiverOptions; appsettings.json holds overrides only");
    }

    [Fact]
    public void OnItsOwnAppSettingsTheDownstreamFollowsTheOtlpProtocolVariableWithTheBorrowedEndpoint()
    {
        // appsettings.json used to restate Downstream:Protocol = grpc, which hid OTEL_EXPORTER_OTLP_PROTOCOL in every real run.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DownstreamDefaults.EndpointVariable] = "http://localhost:4318",
            [DownstreamDefaults.ProtocolVariable] = DownstreamOptions.HttpProtobuf,
        });
        ReceiverApplication.AddReceiver(builder.Services, builder.Configuration);
        using var provider = builder.Services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PartialReceiverOptions>>().Value;

        Assert.Equal("http://0.0.0.0:8081", builder.Configuration["Kestrel:Endpoints:Http:Url"]);
        Assert.Equal("http://localhost:4318", options.Downstream.Endpoint);
        Assert.Equal(DownstreamOptions.HttpProtobuf, options.Downstream.Protocol);
    }

    [Fact]
    public void TheReadmesDefaultsAreTheOptionsDefaults()
    {
        var (documented, wrong) = DocumentedDefaults.Check<PartialReceiverOptions>(PartialReceiverOptions.Section);

        Assert.Empty(wrong);
        Assert.True(documented.Count >= 10, $"only {documented.Count} README defaults found: {string.Join(", ", documented)}");
    }
}
