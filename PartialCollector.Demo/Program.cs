using PartialCollector.Demo;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddOptions<DemoOptions>()
    .Bind(builder.Configuration.GetSection(DemoOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<PartialSpanLogs>();
builder.Services.AddHostedService<DemoWorkload>();

builder.Build().Run();
