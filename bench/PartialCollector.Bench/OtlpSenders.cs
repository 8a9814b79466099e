using System.Net.Http.Headers;
using Grpc.Core;
using Grpc.Net.Client;

namespace PartialCollector.Bench;

/// <summary>Lean OTLP log senders: pre-serialised bodies, no per-request protobuf work in the load generator.</summary>
public sealed class OtlpSenders : IDisposable
{
    private static readonly Method<byte[], byte[]> Export = new(
        MethodType.Unary,
        "opentelemetry.proto.collector.logs.v1.LogsService",
        "Export",
        Marshallers.Create(b => b, b => b),
        Marshallers.Create(b => b, b => b));

    private readonly GrpcChannel[] channels;
    private readonly CallInvoker[] invokers;
    private readonly HttpClient http;

    /// <param name="channels">One connection per client, as separate applications would have.</param>
    public OtlpSenders(Uri grpcEndpoint, Uri httpEndpoint, int channels)
    {
        this.channels = Enumerable.Range(0, channels)
            .Select(_ => GrpcChannel.ForAddress(grpcEndpoint, new GrpcChannelOptions { MaxSendMessageSize = null }))
            .ToArray();
        invokers = this.channels.Select(c => c.CreateCallInvoker()).ToArray();
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = httpEndpoint };
    }

    public async Task SendGrpcAsync(int client, byte[] request) => await invokers[client % invokers.Length].AsyncUnaryCall(Export, null, default, request);

    public async Task SendHttpAsync(byte[] request)
    {
        using var content = new ByteArrayContent(request);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await http.PostAsync("/v1/logs", content);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose()
    {
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        http.Dispose();
    }
}
