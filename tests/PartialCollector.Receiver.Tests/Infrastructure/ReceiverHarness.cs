using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PartialCollector.Receiver;
using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Delivery;

namespace PartialCollector.Receiver.Tests.Infrastructure;

/// <summary>
/// A receiver's collection path without the host: the same registrations as the service, on a database of
/// the test's own, so tests drive <see cref="CollectionCycle.RunOnceAsync"/> directly instead of waiting for timers.
/// </summary>
public sealed class ReceiverHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private ReceiverHarness(ServiceProvider services)
    {
        this.services = services;
    }

    public CollectionCycle Cycle => services.GetRequiredService<CollectionCycle>();

    public T Get<T>()
        where T : notnull => services.GetRequiredService<T>();

    public static ReceiverHarness Create(
        string connectionString,
        string endpoint,
        IDictionary<string, string?>? settings = null,
        ITraceExporter? exporter = null,
        TimeProvider? timeProvider = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["PartialReceiver:Downstream:Endpoint"] = endpoint,
            ["PartialReceiver:Downstream:Timeout"] = "5s",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(configuration);
        collection.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        collection.AddMetrics();
        collection.AddSingleton(timeProvider ?? TimeProvider.System);
        collection.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        ReceiverApplication.AddReceiver(collection, configuration);
        if (exporter is not null)
        {
            collection.AddSingleton(exporter);
        }

        return new ReceiverHarness(collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
    }

    public async ValueTask DisposeAsync() => await services.DisposeAsync();
}
