namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// OTLP/JSON that cannot be decoded: bad syntax, a value of the wrong type, or an id that is neither hex
/// nor base64. The message names the JSON path, e.g.
/// <c>resourceSpans[0].scopeSpans[0].spans[1].spanId: not hex or base64</c>.
/// </summary>
public sealed class OtlpJsonException : FormatException
{
    public OtlpJsonException()
        : base("invalid OTLP/JSON")
    {
        Path = "";
    }

    public OtlpJsonException(string message)
        : base(message)
    {
        Path = "";
    }

    public OtlpJsonException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = "";
    }

    internal OtlpJsonException(string path, string problem, Exception? innerException)
        : base(path.Length == 0 ? problem : path + ": " + problem, innerException)
    {
        Path = path;
    }

    /// <summary>Where the problem is, in camelCase field names with array indexes; empty at the top level.</summary>
    public string Path { get; }
}
