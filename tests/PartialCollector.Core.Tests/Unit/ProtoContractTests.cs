using Google.Protobuf;
using OpenTelemetry.Proto.Logs.V1;

namespace PartialCollector.Core.Tests.Unit;

public class ProtoContractTests
{
    [Fact]
    public void LogRecordEventNameUsesFieldTwelve()
    {
        var bytes = new LogRecord { EventName = "x" }.ToByteArray();
        // Field 12, wire type 2 (length-delimited): tag (12 << 3) | 2 = 98.
        Assert.Equal(98, bytes[0]);
    }
}
