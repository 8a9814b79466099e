using System.Buffers.Binary;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Walks the fields of one protobuf message in place, checking only what the walk needs: tags, varints and that every
/// value lies within the message. Nested messages are not looked into unless the caller walks them with a reader of
/// their own. Malformed bytes throw <see cref="InvalidDataException"/>, whose message says what and where.
/// </summary>
internal ref struct WireReader
{
    // As Google.Protobuf's default recursion limit: groups are nested messages too.
    private const int MaxGroupDepth = 100;

    private readonly ReadOnlySpan<byte> data;
    private readonly int end;
    private readonly string message;
    private int position;

    /// <param name="data">All of the stored bytes, so that positions are offsets into them.</param>
    /// <param name="start">Where the message starts.</param>
    /// <param name="end">Where the message ends.</param>
    /// <param name="message">The message's type, for the reason when its bytes are malformed.</param>
    public WireReader(ReadOnlySpan<byte> data, int start, int end, string message)
    {
        this.data = data;
        position = start;
        this.end = end;
        this.message = message;
    }

    /// <summary>Reads the next field; false at the end of the message.</summary>
    public bool Next(out WireField field)
    {
        if (position >= end)
        {
            field = default;
            return false;
        }

        field = ReadField(0);
        return true;
    }

    private WireField ReadField(int depth)
    {
        var start = position;
        var tag = ReadVarint();
        var number = tag >> 3;
        var type = (WireType)(tag & 7);
        if (number == 0 || number > int.MaxValue >> 2)
        {
            throw Malformed($"invalid tag {tag}", start);
        }

        ulong scalar = 0;
        var valueStart = position;
        switch (type)
        {
            case WireType.Varint:
                scalar = ReadVarint();
                break;
            case WireType.Fixed64:
                scalar = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, start));
                break;
            case WireType.Fixed32:
                scalar = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, start));
                break;
            case WireType.LengthDelimited:
                var length = ReadVarint();
                if (length > (ulong)(end - position))
                {
                    throw Malformed($"field {number} of {length} bytes runs past the end of the message ({end - position} bytes left)", start);
                }

                valueStart = position;
                position += (int)length;
                break;
            case WireType.StartGroup:
                SkipGroup((int)number, start, depth);
                break;
            case WireType.EndGroup:
                throw Malformed($"field {number} ends a group that was not started", start);
            default:
                throw Malformed($"field {number} has invalid wire type {(int)type}", start);
        }

        return new WireField((int)number, type, start, valueStart, position, scalar);
    }

    // A group (a deprecated encoding another writer may still use for unknown fields) runs to its matching end tag.
    private void SkipGroup(int number, int start, int depth)
    {
        if (depth >= MaxGroupDepth)
        {
            throw Malformed("groups nested too deeply", start);
        }

        while (true)
        {
            if (position >= end)
            {
                throw Malformed($"group {number} is not ended", start);
            }

            var inner = position;
            var tag = ReadVarint();
            if ((WireType)(tag & 7) == WireType.EndGroup)
            {
                if (tag >> 3 != (ulong)number)
                {
                    throw Malformed($"group {number} ended by the end of group {tag >> 3}", inner);
                }

                return;
            }

            position = inner;
            ReadField(depth + 1);
        }
    }

    private ulong ReadVarint()
    {
        var start = position;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= end)
            {
                throw Malformed("truncated varint", start);
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed("varint longer than 10 bytes", start);
    }

    private ReadOnlySpan<byte> Take(int length, int fieldStart)
    {
        if (end - position < length)
        {
            throw Malformed($"truncated {length * 8}-bit value", fieldStart);
        }

        var taken = data.Slice(position, length);
        position += length;
        return taken;
    }

    private readonly InvalidDataException Malformed(string what, int at) => new($"{what} in a {message} at byte {at}");
}
