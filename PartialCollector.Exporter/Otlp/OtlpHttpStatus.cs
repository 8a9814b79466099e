using Google.Protobuf;

namespace PartialCollector.Exporter.Otlp;

/// <summary>OTLP/HTTP error answers: the HTTP status with a <c>google.rpc.Status</c> body in the request's encoding.</summary>
public static class OtlpHttpStatus
{
    public const string ProtobufType = "application/x-protobuf";
    public const string JsonType = "application/json";

    public static bool IsJson(string? contentType) =>
        contentType is not null && contentType.StartsWith(JsonType, StringComparison.OrdinalIgnoreCase);

    public static async Task WriteAsync(HttpContext context, int statusCode, string message, bool json)
    {
        context.Response.StatusCode = statusCode;
        var grpcCode = statusCode switch
        {
            StatusCodes.Status400BadRequest => 3, // INVALID_ARGUMENT
            StatusCodes.Status401Unauthorized => 16, // UNAUTHENTICATED
            StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => 8, // RESOURCE_EXHAUSTED
            StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
            _ => 3,
        };
        var status = new PartialCollector.Core.Otlp.Rpc.Status { Code = grpcCode, Message = message };
        if (json)
        {
            context.Response.ContentType = JsonType;
            await context.Response.WriteAsync(JsonFormatter.Default.Format(status));
        }
        else
        {
            context.Response.ContentType = ProtobufType;
            await context.Response.Body.WriteAsync(status.ToByteArray());
        }
    }
}
