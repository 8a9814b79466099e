using System.Text.Json;
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
                case JsonField.StringValue:
                    value.StringValue = ReadString();
                    break;
                case JsonField.BoolValue:
                    value.BoolValue = ReadBool();
                    break;
                case JsonField.IntValue:
                    value.IntValue = ReadInteger<long>();
                    break;
                case JsonField.DoubleValue:
                    value.DoubleValue = ReadDouble();
                    break;
                case JsonField.ArrayValue:
                    value.ArrayValue = ReadArrayValue();
                    break;
                case JsonField.KvlistValue:
                    value.KvlistValue = ReadKeyValueList();
                    break;
                case JsonField.BytesValue:
                    value.BytesValue = ReadBytes();
                    break;
                default:
                    SkipValue();
                    break;
            }
        }

        return value;
    }

    private ArrayValue ReadArrayValue()
    {
        BeginObject();
        var array = new ArrayValue();
        while (NextField(out var field))
        {
            if (field != JsonField.Values)
            {
                SkipValue();
                continue;
            }

            BeginArray();
            for (var i = 0; NextElement(i); i++)
            {
                // A null element keeps its place as an empty value.
                array.Values.Add(Token == JsonTokenType.Null ? new AnyValue() : ReadAnyValue());
            }
        }

        return array;
    }

    private KeyValueList ReadKeyValueList()
    {
        BeginObject();
        var list = new KeyValueList();
        while (NextField(out var field))
        {
            if (field == JsonField.Values)
            {
                ReadKeyValues(list.Values);
            }
            else
            {
                SkipValue();
            }
        }

        return list;
    }

    /// <summary>An array of <c>{"key": ..., "value": {...}}</c> into <paramref name="target"/>.</summary>
    private void ReadKeyValues(RepeatedField<KeyValue> target)
    {
        BeginArray();
        for (var i = 0; NextElement(i); i++)
        {
            if (Token != JsonTokenType.Null)
            {
                target.Add(ReadKeyValue());
            }
        }
    }

    private KeyValue ReadKeyValue()
    {
        BeginObject();
        var keyValue = new KeyValue();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Key:
                    keyValue.Key = ReadString();
                    break;
                case JsonField.Value:
                    keyValue.Value = ReadAnyValue();
                    break;
                default:
                    SkipValue();
                    break;
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
                case JsonField.Attributes:
                    ReadKeyValues(resource.Attributes);
                    break;
                case JsonField.DroppedAttributesCount:
                    resource.DroppedAttributesCount = ReadInteger<uint>();
                    break;
                default:
                    SkipValue();
                    break;
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
                case JsonField.Name:
                    scope.Name = ReadString();
                    break;
                case JsonField.Version:
                    scope.Version = ReadString();
                    break;
                case JsonField.Attributes:
                    ReadKeyValues(scope.Attributes);
                    break;
                case JsonField.DroppedAttributesCount:
                    scope.DroppedAttributesCount = ReadInteger<uint>();
                    break;
                default:
                    SkipValue();
                    break;
            }
        }

        return scope;
    }
}
