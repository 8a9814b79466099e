using PartialCollector.Core.Durations;
using PartialCollector.Demo;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();

// Durations in Go syntax (2s) as well as hh:mm:ss, like the services'.
DurationTypeConverter.Register();
builder.Services.AddOptions<DemoOptions>()
    .Bind(builder.Configuration.GetSection(DemoOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<PartialSpanLogs>();
builder.Services.AddHostedService<DemoWorkload>();

builder.Build().Run();
