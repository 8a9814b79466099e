using System.Text.Json;
using Google.Protobuf.Collections;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// The OTLP/JSON decoder: a forward-only walk over <see cref="Utf8JsonReader"/> tokens that builds the
/// generated protobuf messages directly. This part holds the navigation (objects, arrays, skipping, errors);
/// the scalar, common, trace and log parts are in the other <c>OtlpJsonParser.*.cs</c> files.
/// </summary>
internal ref partial struct OtlpJsonParser
{
    private Utf8JsonReader reader;
    private readonly JsonPath path;

    public OtlpJsonParser(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith(Utf8ByteOrderMark))
        {
            utf8 = utf8[Utf8ByteOrderMark.Length..];
        }

        reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        path = new JsonPath();
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>An exception thrown by the JSON reader or a value accessor, with the current path.</summary>
    public readonly OtlpJsonException Wrap(Exception e) => e switch
    {
        JsonException => new OtlpJsonException(path.ToString(), "invalid JSON: " + e.Message, e),
        _ => new OtlpJsonException(path.ToString(), e.Message, e),
    };

    private readonly OtlpJsonException Error(string problem) => new(path.ToString(), problem, null);

    private readonly JsonTokenType Token => reader.TokenType;

    private void Read()
    {
        if (!reader.Read())
        {
            throw Error("unexpected end of JSON");
        }
    }

    /// <summary>Reads the first token, which must open the top-level object.</summary>
    private void BeginDocument()
    {
        if (!reader.Read())
        {
            throw Error("empty input");
        }

        if (Token != JsonTokenType.StartObject)
        {
            throw Error("the top-level value is not a JSON object");
        }
    }

    /// <summary>After the top-level object only whitespace may follow.</summary>
    private void EndDocument()
    {
        if (reader.Read())
        {
            throw Error("unexpected data after the top-level object");
        }
    }

    /// <summary>The current token must open an object; enter it.</summary>
    private void BeginObject()
    {
        if (Token != JsonTokenType.StartObject)
        {
            throw Error("expected an object");
        }

        path.Enter();
    }

    /// <summary>
    /// Advances to the next field of the current object and onto its value, skipping fields whose value is
    /// JSON null (null means absent). Returns false, leaving the object, at its end.
    /// </summary>
    private bool NextField(out JsonField field)
    {
        while (true)
        {
            Read();
            if (Token == JsonTokenType.EndObject)
            {
                path.Exit();
                field = JsonField.None;
                return false;
            }

            field = JsonFields.Identify(StringBytes());
            path.SetField(field);
            Read();
            if (Token != JsonTokenType.Null)
            {
                return true;
            }
        }
    }

    /// <summary>The current token must open an array.</summary>
    private readonly void BeginArray()
    {
        if (Token != JsonTokenType.StartArray)
        {
            throw Error("expected an array");
        }
    }

    /// <summary>Advances to element <paramref name="index"/> of the current array; false at its end.</summary>
    private bool NextElement(int index)
    {
        Read();
        if (Token == JsonTokenType.EndArray)
        {
            return false;
        }

        path.SetIndex(index);
        return true;
    }

    /// <summary>
    /// Reads one message (an array element, a whole document). A static lambda (<c>static (ref p) =&gt; p.ReadSpan()</c>):
    /// the parser is a ref struct, so it is passed in rather than captured, and the delegate is cached.
    /// </summary>
    internal delegate T ReadItem<T>(ref OtlpJsonParser parser);

    /// <summary>
    /// The current token must open an array of messages: each one into <paramref name="target"/>. A null
    /// element is skipped, or kept as an empty message with <paramref name="nullIsEmpty"/>.
    /// </summary>
    private void ReadArray<T>(RepeatedField<T> target, ReadItem<T> readItem, bool nullIsEmpty = false)
        where T : new()
    {
        BeginArray();
        for (var i = 0; NextElement(i); i++)
        {
            if (Token != JsonTokenType.Null)
            {
                target.Add(readItem(ref this));
            }
            else if (nullIsEmpty)
            {
                target.Add(new T());
            }
        }
    }

    /// <summary>
    /// The current token must open an object whose only field of interest is the array <paramref name="field"/>
    /// (a request, <c>TracesData</c>, an array or kvlist value): its elements into <paramref name="target"/>.
    /// </summary>
    private void ReadArrayOnlyObject<T>(JsonField field, RepeatedField<T> target, ReadItem<T> readItem, bool nullIsEmpty = false)
        where T : new()
    {
        BeginObject();
        while (NextField(out var current))
        {
            if (current == field)
            {
                ReadArray(target, readItem, nullIsEmpty);
            }
            else
            {
                SkipValue();
            }
        }
    }

    /// <summary>Skips the current value (an unknown field), including nested objects and arrays.</summary>
    private void SkipValue()
    {
        if (Token is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
    }
}
