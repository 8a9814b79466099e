using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs.Json;

namespace PartialCollector.Core.Codecs;

/// <summary>Turns a log body into the <see cref="TracesData"/> it carries, per <c>partial.body.type</c>.</summary>
public static class TraceBodyDecoder
{
    /// <returns>The decoded traces, or null with <paramref name="reason"/> and <paramref name="detail"/> set.</returns>
    public static TracesData? Decode(AnyValue? body, string? bodyType, out RejectReason reason, out string? detail)
    {
        reason = RejectReason.None;
        detail = null;
        if (bodyType is not (null or "" or PartialAttributes.BodyTypeProto or PartialAttributes.BodyTypeJson))
        {
            reason = RejectReason.UnknownBodyType;
            detail = $"body type '{bodyType}' is not 'proto' or 'json/v1'";
            return null;
        }

        try
        {
            switch (body?.ValueCase)
            {
                case AnyValue.ValueOneofCase.BytesValue:
                    // Raw protobuf in a bytes body: a harmless extension of the contract.
                    return TracesData.Parser.ParseFrom(body.BytesValue);
                case AnyValue.ValueOneofCase.StringValue when bodyType == PartialAttributes.BodyTypeJson:
                    return DecodeJson(body.StringValue);
                case AnyValue.ValueOneofCase.StringValue:
                    return DecodeBase64Proto(body.StringValue);
                default:
                    reason = RejectReason.MissingBody;
                    detail = "body is not a string holding the span";
                    return null;
            }
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            reason = RejectReason.InvalidBody;
            detail = e.Message;
            return null;
        }
    }

    private static TracesData DecodeJson(string json)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(json.Length);
        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var length = Encoding.UTF8.GetBytes(json, rented);
            return OtlpJsonReader.ReadTracesData(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static TracesData DecodeBase64Proto(string base64)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Base64.GetMaxDecodedFromUtf8Length(base64.Length));
        try
        {
            if (!Convert.TryFromBase64String(base64, rented, out var written))
            {
                throw new FormatException("body is not base64 (set partial.body.type=json/v1 for JSON bodies)");
            }

            return TracesData.Parser.ParseFrom(rented, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
