using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace PartialCollector.Core.Codecs;

/// <summary>
/// The seed's merge rule: copy source attributes whose key the target lacks; the target keeps its own values.
/// Values are shared, not moved, so the source stays whole for the next span of the same record.
/// </summary>
public static class AttributeMerger
{
    // Spans carry a handful of attributes, where a scan beats hashing; past this many comparisons a set of the
    // target's keys keeps the merge linear, whatever a client sends.
    private const int ScanLimit = 256;

    public static void MergeMissing(RepeatedField<KeyValue> target, RepeatedField<KeyValue> source, bool skipProtocolAttributes)
    {
        if (source.Count == 0)
        {
            return;
        }

        var existingCount = target.Count;
        HashSet<string>? existing = null;
        if (existingCount * source.Count > ScanLimit)
        {
            existing = new HashSet<string>(existingCount, StringComparer.Ordinal);
            for (var i = 0; i < existingCount; i++)
            {
                existing.Add(target[i].Key);
            }
        }

        foreach (var attribute in source)
        {
            if (skipProtocolAttributes && PartialAttributes.IsProtocolAttribute(attribute.Key))
            {
                continue;
            }

            if (existing is not null ? !existing.Contains(attribute.Key) : !Contains(target, existingCount, attribute.Key))
            {
                target.Add(attribute);
            }
        }
    }

    private static bool Contains(RepeatedField<KeyValue> attributes, int count, string key)
    {
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(attributes[i].Key, key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
