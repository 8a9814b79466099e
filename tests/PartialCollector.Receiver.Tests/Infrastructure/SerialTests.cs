namespace PartialCollector.Receiver.Tests.Infrastructure;

/// <summary>Tests that watch something process-wide (an ActivitySource) run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public sealed class SerialTests;
