namespace PartialCollector.Core.Codecs;

/// <summary>What a decoded record may ask of the store: every value a client controls is bounded here.</summary>
public sealed record DecodeLimits
{
    /// <summary>Heartbeat interval assumed for the <c>span.state</c> alias, whose clients send none.</summary>
    public TimeSpan AliasDefaultFrequency { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MinFrequency { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxFrequency { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Spans one log record may carry (every known client sends one).</summary>
    public int MaxSpansPerRecord { get; init; } = 1000;

    /// <summary>Bytes of one stored span: its protobuf <c>TracesData</c> after the log's attributes and resource are merged in.</summary>
    public int MaxStoredSpanSize { get; init; } = 1024 * 1024;
}
