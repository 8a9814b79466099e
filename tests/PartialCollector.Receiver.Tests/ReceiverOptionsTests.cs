using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Delivery;

namespace PartialCollector.Receiver.Tests;

public sealed class ReceiverOptionsTests
{
    [Theory]
    [InlineData("PartialReceiver:GcInterval", "0s", "PartialReceiver:GcInterval must be positive")]
    [InlineData("PartialReceiver:BatchSize", "0", "PartialReceiver:BatchSize must be between 1 and 50000")]
    [InlineData("PartialReceiver:MaxBatchBytes", "1000", "PartialReceiver:MaxBatchBytes must be between 65536 and 67108864")]
    [InlineData("PartialReceiver:DeadLetterRetention", "0s", "PartialReceiver:DeadLetterRetention must be positive")]
    [InlineData("PartialReceiver:Concurrency", "0", "PartialReceiver:Concurrency must be between 1 and 64")]
    [InlineData("PartialReceiver:Claimers", "17", "PartialReceiver:Claimers must be between 1 and 16")]
    [InlineData("PartialReceiver:Lease", "5s", "PartialReceiver:Lease must be longer than PartialReceiver:Downstream:Timeout")]
    [InlineData("PartialReceiver:Downstream:Protocol", "http/json", "PartialReceiver:Downstream:Protocol must be grpc or http/protobuf")]
    [InlineData("PartialReceiver:Downstream:Compression", "zstd", "PartialReceiver:Downstream:Compression must be none or gzip")]
    [InlineData("PartialReceiver:Downstream:Endpoint", "", "PartialReceiver:Downstream:Endpoint is required")]
    [InlineData("PartialReceiver:Downstream:Headers", "novalue", "PartialReceiver:Downstream:Headers")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", ":authority", "PartialReceiver:Downstream:TenantHeader must be a header name, not a pseudo-header")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", "X Scope OrgID", "PartialReceiver:Downstream:TenantHeader must be a valid HTTP header name")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", "x-tenant:", "PartialReceiver:Downstream:TenantHeader must be a valid HTTP header name")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", "grpc-tenant", "PartialReceiver:Downstream:TenantHeader must not start with grpc-")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", "x-tenant-bin", "PartialReceiver:Downstream:TenantHeader must not end in -bin")]
    [InlineData("PartialReceiver:Downstream:TenantHeader", "Content-Type", "PartialReceiver:Downstream:TenantHeader must not be a header the transport sets")]
    public async Task BadValueStopsStartUpNamingTheKey(string key, string value, string message)
    {
        await using var app = ReceiverApplication.Build(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PartialsConnection.ConfigurationKey] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x",
                ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
                ["PartialReceiver:Downstream:Endpoint"] = "http://127.0.0.1:4317",
                [key] = value,
            });
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void GoDurationsBindAndTheDownstreamDefaultsToTheOtlpVariablesWithTheirHeaders()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PartialReceiver:GcInterval"] = "1m30s",
            ["PartialReceiver:Lease"] = "00:02:00",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://localhost:4317",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=secret",
        });
        ReceiverApplication.AddReceiver(builder.Services, builder.Configuration);
        using var provider = builder.Services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PartialReceiverOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(90), options.GcInterval);
        Assert.Equal(TimeSpan.FromSeconds(9), options.EffectiveJitter);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Lease);
        Assert.Equal("http://localhost:4317", options.Downstream.Endpoint);
        Assert.Equal("x-otlp-api-key=secret", options.Downstream.Headers);
    }

    [Fact]
    public void HeadersOfTheOtlpVariablesAreNotSentToAnotherEndpoint()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PartialReceiver:Downstream:Endpoint"] = "http://collector:4318",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://localhost:4317",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=secret",
        });
        ReceiverApplication.AddReceiver(builder.Services, builder.Configuration);
        using var provider = builder.Services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PartialReceiverOptions>>().Value;

        Assert.Equal("http://collector:4318", options.Downstream.Endpoint);
        Assert.Null(options.Downstream.Headers);
    }

    [Fact]
    public void HeadersParseUrlEncodedValues()
    {
        var headers = OtlpHeaders.Parse("x-otlp-api-key=a%3Db, other = two ");
        Assert.Equal([new("x-otlp-api-key", "a=b"), new("other", "two")], headers);
    }

    [Fact]
    public void HttpTargetAppendsTheSignalPathOnce()
    {
        Assert.Equal("http://h:4318/v1/traces", HttpTraceExporter.TargetOf("http://h:4318").ToString());
        Assert.Equal("http://h:4318/v1/traces", HttpTraceExporter.TargetOf("http://h:4318/v1/traces").ToString());
        Assert.Equal("http://h/otlp/v1/traces", HttpTraceExporter.TargetOf("http://h/otlp/").ToString());
    }

    [Theory]
    [InlineData(5, 0.5, -1, 4.5)]
    [InlineData(5, 0.5, 1, 5.5)]
    [InlineData(1, 5, -1, 0)]
    public void WaitIsIntervalPlusJitterAndNeverNegative(double interval, double jitter, double unit, double expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected), CollectionWorker.NextWait(TimeSpan.FromSeconds(interval), TimeSpan.FromSeconds(jitter), unit));

    [Fact]
    public void BackoffDoublesUpToTheCap()
    {
        var interval = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromMinutes(1);
        Assert.Equal(TimeSpan.FromSeconds(10), CollectionWorker.Backoff(interval, max, 1, TimeSpan.Zero, 0));
        Assert.Equal(TimeSpan.FromSeconds(40), CollectionWorker.Backoff(interval, max, 3, TimeSpan.Zero, 0));
        Assert.Equal(max, CollectionWorker.Backoff(interval, max, 30, TimeSpan.FromSeconds(5), 1));
    }
}
