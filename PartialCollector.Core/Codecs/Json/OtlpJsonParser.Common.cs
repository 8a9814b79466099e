using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>The common messages: AnyValue, KeyValue, Resource and InstrumentationScope.</summary>
internal ref partial struct OtlpJsonParser
{
    /// <summary>
    /// <c>{"stringValue": ...}</c> and the other oneof members; <c>{}</c> is an AnyValue with nothing set.
    /// </summary>
    private AnyValue ReadAnyValue()
    {
        BeginObject();
        var value = new AnyValue();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.StringValue: value.StringValue = ReadString(); break;
                case JsonField.BoolValue: value.BoolValue = ReadBool(); break;
                case JsonField.IntValue: value.IntValue = ReadInteger<long>(); break;
                case JsonField.DoubleValue: value.DoubleValue = ReadDouble(); break;
                case JsonField.ArrayValue: value.ArrayValue = ReadArrayValue(); break;
                case JsonField.KvlistValue: value.KvlistValue = ReadKeyValueList(); break;
                case JsonField.BytesValue: value.BytesValue = ReadBytes(); break;
                default: SkipValue(); break;
            }
        }

        return value;
    }

    /// <summary><c>{"values": [...]}</c>; a null element keeps its place as an empty value.</summary>
    private ArrayValue ReadArrayValue()
    {
        var array = new ArrayValue();
        ReadArrayOnlyObject(JsonField.Values, array.Values, static (ref p) => p.ReadAnyValue(), nullIsEmpty: true);
        return array;
    }

    private KeyValueList ReadKeyValueList()
    {
        var list = new KeyValueList();
        ReadArrayOnlyObject(JsonField.Values, list.Values, static (ref p) => p.ReadKeyValue());
        return list;
    }

    /// <summary>An array of <c>{"key": ..., "value": {...}}</c> into <paramref name="target"/>.</summary>
    private void ReadKeyValues(RepeatedField<KeyValue> target) => ReadArray(target, static (ref p) => p.ReadKeyValue());

    private KeyValue ReadKeyValue()
    {
        BeginObject();
        var keyValue = new KeyValue();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Key: keyValue.Key = ReadString(); break;
                case JsonField.Value: keyValue.Value = ReadAnyValue(); break;
                default: SkipValue(); break;
            }
        }

        return keyValue;
    }

    private Resource ReadResource()
    {
        BeginObject();
        var resource = new Resource();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Attributes: ReadKeyValues(resource.Attributes); break;
                case JsonField.DroppedAttributesCount: resource.DroppedAttributesCount = ReadInteger<uint>(); break;
                default: SkipValue(); break;
            }
        }

        return resource;
    }

    private InstrumentationScope ReadScope()
    {
        BeginObject();
        var scope = new InstrumentationScope();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Name: scope.Name = ReadString(); break;
                case JsonField.Version: scope.Version = ReadString(); break;
                case JsonField.Attributes: ReadKeyValues(scope.Attributes); break;
                case JsonField.DroppedAttributesCount: scope.DroppedAttributesCount = ReadInteger<uint>(); break;
                default: SkipValue(); break;
            }
        }

        return scope;
    }
}
