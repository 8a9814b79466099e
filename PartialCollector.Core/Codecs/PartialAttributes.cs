namespace PartialCollector.Core.Codecs;

/// <summary>The log attribute names of the partial-span wire contract.</summary>
public static class PartialAttributes
{
    public const string Event = "partial.event";
    public const string Frequency = "partial.frequency";
    public const string BodyType = "partial.body.type";
    public const string Gc = "partial.gc";
    public const string Prefix = "partial.";

    // Alias from an open-telemetry-dotnet-contrib proposal: span.state = heartbeat | ended, log.body.type.
    public const string AliasState = "span.state";
    public const string AliasBodyType = "log.body.type";

    public const string HeartbeatValue = "heartbeat";
    public const string StopValue = "stop";
    public const string AliasEndedValue = "ended";

    public const string BodyTypeProto = "proto";
    public const string BodyTypeJson = "json/v1";

    /// <summary>Protocol attributes that must not be copied onto the stored span.</summary>
    public static bool IsProtocolAttribute(string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) || key is AliasState or AliasBodyType;
}
