using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

/// <summary>One export request a <see cref="TestTraceSink"/> received: the headers it carried (names lowercase), its spans, and whether it was accepted.</summary>
public sealed record SinkRequest(IReadOnlyDictionary<string, string> Headers, IReadOnlyList<SpanKey> Spans, bool Accepted);
