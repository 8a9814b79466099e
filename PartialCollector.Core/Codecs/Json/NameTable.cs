using System.Runtime.CompilerServices;
using System.Text;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// ASCII names to values, exact match, without allocating: the table behind the field and enum name lookups.
/// Bucketed by length and first letter, a bucket holds a handful of names. Hand-rolled because field names
/// are the decoder's hottest lookup (one per property): a FrozenDictionary looked up by a char span (the
/// name widened into a stack buffer) made the decoding of whole documents about 30 % slower.
/// </summary>
internal sealed class NameTable<TValue>
{
    /// <summary>
    /// Longer names are never found. The longest known one, "dropped_attributes_count", has 24 characters; this
    /// leaves room for odd spellings, and is the size of the stack buffers callers fold names into.
    /// </summary>
    public const int MaxNameLength = 48;

    private readonly (byte[] Name, TValue Value)[]?[] buckets = new (byte[], TValue)[]?[(MaxNameLength + 1) * 32];

    /// <param name="entries">ASCII names; a repeated name keeps its first value.</param>
    public NameTable(IEnumerable<(string Name, TValue Value)> entries)
    {
        foreach (var (name, value) in entries)
        {
            var utf8 = Encoding.ASCII.GetBytes(name);
            if (!TryFind(utf8, out _))
            {
                ref var bucket = ref buckets[Bucket(utf8)];
                bucket = [.. bucket ?? [], (utf8, value)];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryFind(ReadOnlySpan<byte> name, out TValue value)
    {
        if (!name.IsEmpty && name.Length <= MaxNameLength && buckets[Bucket(name)] is { } bucket)
        {
            foreach (var entry in bucket)
            {
                if (name.SequenceEqual(entry.Name))
                {
                    value = entry.Value;
                    return true;
                }
            }
        }

        value = default!;
        return false;
    }

    // "& 31" puts a letter's two cases in the same bucket, so folded and unfolded spellings share it.
    private static int Bucket(ReadOnlySpan<byte> name) => (name.Length * 32) + (name[0] & 31);
}
